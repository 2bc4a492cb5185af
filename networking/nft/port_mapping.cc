#include "networking/nft/port_mapping.h"

namespace berth::nft {
namespace {

std::string with_port(const networking::IpAddress& address, const std::string& port) {
  if (address.is_v4()) return address.to_string() + ":" + port;
  return "[" + address.to_string() + "]:" + port;
}

std::string any_address(networking::Family family) { return networking::IpAddress::unspecified(family).to_string(); }

}  // namespace

std::string_view protocol_name(Protocol protocol) { return protocol == Protocol::kTcp ? "tcp" : "udp"; }

int PortMapping::port_count() const { return host_port_last ? *host_port_last - host_port + 1 : 1; }

std::string PortMapping::to_string() const {
  std::string host_ports = std::to_string(host_port);
  std::string container_ports = std::to_string(container_port);
  if (host_port_last) {
    host_ports += "-" + std::to_string(*host_port_last);
    container_ports += "-" + std::to_string(container_port + port_count() - 1);
  }
  std::string host = host_ip ? with_port(*host_ip, host_ports)
                             : (container_ip.is_v4() ? any_address(container_ip.family()) + ":" + host_ports
                                                     : "[" + any_address(container_ip.family()) + "]:" + host_ports);
  return std::string(protocol_name(protocol)) + " " + host + " -> " + with_port(container_ip, container_ports);
}

Status validate(const PortMapping& m) {
  const std::string what = "port mapping " + m.to_string();
  if (m.host_port == 0) return Error(EINVAL, what + ": host port 0 is not a port");
  if (m.container_port == 0) return Error(EINVAL, what + ": container port 0 is not a port");
  if (m.host_port_last) {
    if (*m.host_port_last < m.host_port) return Error(EINVAL, what + ": the host port range is reversed");
    if (m.container_port + m.port_count() - 1 > 65535) {
      return Error(EINVAL, what + ": the container port range runs past 65535");
    }
  }
  if (m.host_ip && m.host_ip->family() != m.container_ip.family()) {
    return Error(EINVAL, what + ": the host address and the container address are of different families");
  }
  return ok();
}

std::vector<PortMapping> expand(const PortMapping& mapping) {
  std::vector<PortMapping> out;
  const int count = mapping.port_count();
  out.reserve(count);
  for (int i = 0; i < count; ++i) {
    PortMapping one = mapping;
    one.host_port_last.reset();
    one.host_port = static_cast<uint16_t>(mapping.host_port + i);
    one.container_port = static_cast<uint16_t>(mapping.container_port + i);
    out.push_back(one);
  }
  return out;
}

bool same_host_port(const PortMapping& a, const PortMapping& b) {
  if (a.protocol != b.protocol || a.host_port != b.host_port) return false;
  if (a.container_ip.family() != b.container_ip.family()) return false;
  return !a.host_ip || !b.host_ip || *a.host_ip == *b.host_ip;
}

}  // namespace berth::nft
