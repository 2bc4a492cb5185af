#include "networking/bridge/bridge_network.h"

#include "common/file.h"
#include "common/strings.h"
#include "networking/netlink/addresses.h"
#include "networking/netlink/links.h"
#include "networking/netlink/routes.h"
#include "networking/netlink/rtnl_socket.h"

namespace berth::networking {
namespace {

// The bridge up, with the gateway address and MTU; made when missing.
Status ensure_bridge(RtnlSocket& nl, const BridgeConfig& config, const IpPrefix& gateway) {
  if (auto found = find_link(nl, config.bridge); !found) {
    if (found.error().code() != ENODEV) return found.error();
    BERTH_TRY(create_bridge(nl, config.bridge));
  }
  BERTH_TRY(set_link_mtu(nl, config.bridge, config.mtu));
  BERTH_ASSIGN(auto addresses, list_addresses(nl, config.bridge));
  bool has_gateway = false;
  for (const auto& a : addresses) has_gateway = has_gateway || a.prefix == gateway;
  if (!has_gateway) BERTH_TRY(add_address(nl, config.bridge, gateway));
  return set_link_up(nl, config.bridge);
}

// 127.0.0.0/8 or ::1: a resolver the container cannot reach from its own namespace.
bool is_loopback(const IpAddress& ip) {
  if (ip.family() == Family::kIpv4) return ip.data()[0] == 127;
  return ip == *IpAddress::parse("::1");
}

}  // namespace

std::string BridgeNetwork::host_veth_name(const std::string& container_id) {
  return hashed_link_name("berthv", container_id);
}

Result<BridgeNetwork> BridgeNetwork::open(const BridgeConfig& config) {
  const std::string what = "bridge network " + config.bridge;
  auto subnet = Subnet::parse(config.subnet);
  if (!subnet) return subnet.error().context(what);
  BERTH_ASSIGN(auto pool, ipam::AddressPool::open(path_join(config.state_dir, "ipam"), *subnet));
  BERTH_ASSIGN(auto gateway, IpPrefix::make(pool.gateway(), subnet->prefix_length()));
  BERTH_ASSIGN(auto nl, RtnlSocket::open());
  if (auto s = ensure_bridge(nl, config, gateway); !s) return s.error().context(what);
  BERTH_ASSIGN(auto table, nft::NatTable::open(config.nft_table, config.nft_lock));
  BERTH_TRY(table.ensure({*subnet}));
  const char* forward =
      subnet->family() == Family::kIpv4 ? "/proc/sys/net/ipv4/ip_forward" : "/proc/sys/net/ipv6/conf/all/forwarding";
  if (auto s = write_existing(forward, "1"); !s) return s.error().context(what + ": enable forwarding");
  if (subnet->family() == Family::kIpv4) BERTH_TRY(nft::enable_route_localnet(config.bridge));
  return BridgeNetwork(config, *subnet, std::move(pool), std::move(table));
}

Status BridgeNetwork::plumb(const ContainerAttachment& a, const ipam::Allocation& alloc, const std::string& veth) {
  BERTH_ASSIGN(auto host, RtnlSocket::open());
  BERTH_TRY(create_veth(host, veth, a.ifname, a.netns));
  BERTH_TRY(set_link_mtu(host, veth, config_.mtu));
  BERTH_TRY(set_link_master(host, veth, config_.bridge));
  BERTH_TRY(set_link_up(host, veth));
  BERTH_ASSIGN(auto inside, RtnlSocket::open_in(*a.netns));
  BERTH_ASSIGN(auto address, IpPrefix::make(alloc.address, subnet_.prefix_length()));
  BERTH_TRY(set_link_mtu(inside, a.ifname, config_.mtu));
  BERTH_TRY(add_address(inside, a.ifname, address, {.no_dad = true}));
  BERTH_TRY(set_link_up(inside, a.ifname));
  BERTH_TRY(set_link_up(inside, "lo"));
  BERTH_TRY(add_default_route(inside, alloc.gateway, a.ifname));
  std::vector<nft::PortMapping> mappings = a.publish;
  for (auto& m : mappings) m.container_ip = alloc.address;
  if (!mappings.empty()) BERTH_TRY(table_.publish(a.container_id, mappings));
  return ok();
}

Result<AttachedNetwork> BridgeNetwork::attach(const ContainerAttachment& a) {
  const std::string what = "attach container \"" + a.container_id + "\" to " + config_.bridge;
  if (a.netns == nullptr) return Error(EINVAL, what + ": no network namespace");
  auto alloc = pool_.allocate(a.container_id, a.address);
  if (!alloc) return alloc.error().context(what);
  const std::string veth = host_veth_name(a.container_id);
  if (auto s = plumb(a, *alloc, veth); !s) {
    (void)detach(a.container_id);  // all or nothing
    return s.error().context(what);
  }
  BERTH_ASSIGN(auto address, IpPrefix::make(alloc->address, subnet_.prefix_length()));
  return AttachedNetwork{address, alloc->gateway, veth};
}

Status BridgeNetwork::detach(const std::string& container_id) {
  const std::string what = "detach container \"" + container_id + "\" from " + config_.bridge;
  // Every step runs; the first error is the one reported.
  Status first = ok();
  auto keep = [&first](Status s) {
    if (!s && first) first = std::move(s);
  };
  keep(table_.unpublish(container_id));
  // Deleting the host end removes its peer inside the container's namespace too.
  auto host = RtnlSocket::open();
  keep(host ? remove_link(*host, host_veth_name(container_id)) : Status(host.error()));
  keep(pool_.release(container_id));
  if (!first) return first.error().context(what);
  return ok();
}

std::string hosts_file(const std::string& hostname, const IpAddress& address) {
  return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" + address.to_string() + "\t" + hostname +
         "\n";
}

std::string resolv_conf(const std::string& host_resolv_conf) {
  std::string out;
  auto lines = split(host_resolv_conf, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the text's final newline
  for (const auto& line : lines) {
    const auto t = trim(line);
    if (t.starts_with("nameserver")) {
      const auto server = trim(t.substr(10));
      auto ip = IpAddress::parse(server);
      if (ip && is_loopback(*ip)) continue;
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace berth::networking
