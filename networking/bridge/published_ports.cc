#include "networking/bridge/published_ports.h"

namespace berth::networking {

Result<std::vector<nft::PortMapping>> port_rules(const std::vector<nft::PortMapping>& publish,
                                                 const std::vector<IpAddress>& container_addresses) {
  std::vector<nft::PortMapping> rules;
  for (const auto& m : publish) {
    bool placed = false;
    for (const auto& address : container_addresses) {
      if (m.host_ip && m.host_ip->family() != address.family()) continue;
      nft::PortMapping rule = m;
      rule.container_ip = address;
      rules.push_back(rule);
      placed = true;
    }
    if (!placed) {
      return Error(EINVAL, "publish host port " + std::to_string(m.host_port) + " on " +
                               (m.host_ip ? m.host_ip->to_string() : std::string("every address")) +
                               ": the container has no " +
                               std::string(family_name(m.host_ip ? m.host_ip->family() : Family::kIpv4)) + " address");
    }
  }
  return rules;
}

}  // namespace berth::networking
