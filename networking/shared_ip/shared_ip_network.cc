#include "networking/shared_ip/shared_ip_network.h"

#include <algorithm>
#include <cerrno>
#include <set>
#include <string_view>
#include <utility>

#include "networking/netlink/addresses.h"
#include "networking/netlink/routes.h"
#include "networking/netns/sysctl.h"
#include "networking/shared_ip/filter_spec.h"

namespace berth::networking::shared_ip {
namespace {

// The alias on a container's host-side veth: the kernel itself remembers whose it is.
constexpr std::string_view kAliasPrefix = "berth shared-ip ";
constexpr size_t kMaxAlias = 255;
constexpr const char* kContainerIf = "eth0";

std::string alias_of(const std::string& container_id) { return std::string(kAliasPrefix) + container_id; }

bool is_ours(const InstalledFilter& f) {
  return f.has_mirred && f.spec.priority >= kAllottedPortsPriority && f.spec.priority <= kArpPriority;
}

// Sysctls of the container's namespace, set before its eth0 exists.
Status prepare_namespace(const Netns& netns, const PortRange& ephemeral) {
  BERTH_TRY(write_sysctl(netns, "net.ipv4.ip_local_port_range", format_local_port_range(ephemeral)));
  // The host answers pings to the shared address; every container would answer its copy too.
  BERTH_TRY(write_sysctl(netns, "net.ipv4.icmp_echo_ignore_all", "1"));
  // IPv4 only: an eth0 with the host's MAC would take the host's IPv6 link-local address
  // and send neighbour discovery for it out of the host interface.
  for (const char* key : {"net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"}) {
    Status off = write_sysctl(netns, key, "1");
    if (!off && off.error().code() != ENOENT) return off;  // ENOENT: a kernel without IPv6
  }
  return ok();
}

Status check_apart(const std::vector<PortRange>& mine, const PortRange& theirs, const std::string& whose) {
  for (const PortRange& r : mine) {
    if (r.overlaps(theirs)) {
      return Error(EADDRINUSE,
                   "ports " + format_port_range(r) + " overlap " + format_port_range(theirs) + " of " + whose);
    }
  }
  return ok();
}

}  // namespace

std::string SharedIpNetwork::host_veth_name(const std::string& container_id) {
  return hashed_link_name("berths", container_id);
}

Result<SharedIpNetwork> SharedIpNetwork::open(Netns host, std::string host_interface) {
  const std::string what = "open shared IP of " + host_interface + host.where();
  BERTH_ASSIGN(RtnlSocket nl, RtnlSocket::open_in(host).context(what));
  BERTH_ASSIGN(TcSocket tc, TcSocket::open_in(host).context(what));
  BERTH_TRY(find_link(nl, host_interface).context(what));
  return SharedIpNetwork(std::move(host), std::move(host_interface), std::move(nl), std::move(tc));
}

Status SharedIpNetwork::attach(const SharedIpAttachment& a) {
  const std::string what = "attach container \"" + a.container_id + "\" to " + describe();
  if (a.container_id.empty()) return Error(EINVAL, what + ": empty container id");
  if (alias_of(a.container_id).size() > kMaxAlias) return Error(EINVAL, what + ": container id too long");
  if (a.netns == nullptr) return Error(EINVAL, what + ": no network namespace");
  BERTH_TRY(check_ranges(a).context(what));
  if (Status plumbed = plumb(a, host_veth_name(a.container_id)); !plumbed) {
    (void)detach(a.container_id);  // all or nothing
    return std::move(plumbed).error().context(what);
  }
  return ok();
}

Status SharedIpNetwork::check_ranges(const SharedIpAttachment& a) {
  std::vector<PortRange> mine = a.ports;
  mine.push_back(a.ephemeral);
  BERTH_TRY(validate_port_ranges(mine));
  BERTH_TRY(check_disjoint(mine).context("its own ranges"));
  BERTH_ASSIGN(const std::string host_value, read_sysctl(host_, "net.ipv4.ip_local_port_range"));
  BERTH_ASSIGN(const PortRange host_ephemeral, parse_local_port_range(host_value));
  BERTH_TRY(check_apart(mine, host_ephemeral,
                        "the host's ephemeral ports (net.ipv4.ip_local_port_range" + host_.where() + ")"));
  BERTH_ASSIGN(const auto others, list());
  for (const SharedIpContainer& other : others) {
    if (other.container_id == a.container_id) return Error(EEXIST, "attached already (veth " + other.host_veth + ")");
    const std::string whose = "container \"" + other.container_id + "\"";
    for (const PortRange& theirs : other.ports) BERTH_TRY(check_apart(mine, theirs, whose));
    for (const PortRange& theirs : other.ephemeral) BERTH_TRY(check_apart(mine, theirs, whose + " (ephemeral)"));
  }
  return ok();
}

Status SharedIpNetwork::plumb(const SharedIpAttachment& a, const std::string& veth) {
  BERTH_ASSIGN(const Link host_link, find_link(nl_, host_if_));
  BERTH_TRY(prepare_namespace(*a.netns, a.ephemeral));
  BERTH_TRY(create_veth(nl_, veth, kContainerIf, a.netns));
  BERTH_TRY(set_link_alias(nl_, veth, alias_of(a.container_id)));
  // Frames pass between the host interface and the veth unchanged: the same MTU on all three.
  BERTH_TRY(set_link_mtu(nl_, veth, host_link.mtu));
  BERTH_TRY(configure_container(a, host_link));
  BERTH_ASSIGN(const Link veth_link, find_link(nl_, veth));
  // Filters first: once the veth is up, nothing the container sends reaches the host's stack.
  BERTH_TRY(install_filters(a, TcLink{host_link.index, host_if_}, TcLink{veth_link.index, veth}));
  return set_link_up(nl_, veth);
}

Status SharedIpNetwork::configure_container(const SharedIpAttachment& a, const Link& host_link) {
  BERTH_ASSIGN(RtnlSocket c, RtnlSocket::open_in(*a.netns));
  // The host's MAC: the peer addresses its frames to the host interface, and the container
  // gets them unchanged.
  BERTH_TRY(set_link_mac(c, kContainerIf, host_link.mac));
  BERTH_TRY(set_link_mtu(c, kContainerIf, host_link.mtu));
  // The host answers ARP for the shared address; the containers only learn from its copies.
  BERTH_TRY(write_sysctl(*a.netns, std::string("net.ipv4.conf.") + kContainerIf + ".arp_ignore", "8"));
  BERTH_ASSIGN(const auto addresses, list_addresses(nl_, host_if_));
  bool any = false;
  for (const LinkAddress& address : addresses) {
    if (address.prefix.family() != Family::kIpv4) continue;
    BERTH_TRY(add_address(c, kContainerIf, address.prefix));
    any = true;
  }
  if (!any) return Error(EADDRNOTAVAIL, "host interface " + host_if_ + host_.where() + " has no IPv4 address");
  BERTH_TRY(set_link_up(c, "lo"));
  BERTH_TRY(set_link_up(c, kContainerIf));
  BERTH_ASSIGN(const auto routes, list_routes(nl_, Family::kIpv4));
  for (const Route& route : routes) {
    if (route.destination.length() == 0 && route.gateway && route.link_index == host_link.index) {
      return add_default_route(c, *route.gateway, kContainerIf);
    }
  }
  return ok();  // the host has no default route out of this interface: neither has the container
}

Status SharedIpNetwork::install_filters(const SharedIpAttachment& a, const TcLink& host, const TcLink& veth) {
  BERTH_TRY(tc_.ensure_ingress(veth));
  BERTH_TRY(tc_.add_filter(veth, container_egress(host.index), host.name));
  BERTH_TRY(tc_.ensure_ingress(host));
  std::vector<FilterSpec> specs;
  for (const PortRange& range : a.ports) {
    const auto redirects = port_redirects(kAllottedPortsPriority, range, veth.index);
    specs.insert(specs.end(), redirects.begin(), redirects.end());
  }
  const auto ephemeral = port_redirects(kEphemeralPortsPriority, a.ephemeral, veth.index);
  specs.insert(specs.end(), ephemeral.begin(), ephemeral.end());
  specs.push_back(icmp_mirror(veth.index));
  specs.push_back(arp_mirror(veth.index));
  for (const FilterSpec& spec : specs) BERTH_TRY(tc_.add_filter(host, spec, veth.name));
  return ok();
}

Status SharedIpNetwork::remove_filters(const TcLink& host, int veth_index) {
  BERTH_ASSIGN(const auto filters, tc_.list_filters(host));
  Status first = ok();
  auto keep = [&first](Status s) {
    if (!s && first) first = std::move(s);
  };
  std::set<std::pair<uint16_t, uint16_t>> emptied;  // priority, protocol
  for (const InstalledFilter& f : filters) {
    // Index 0: the target went away before its filters (a crash between the two steps).
    if (!is_ours(f) || (f.spec.target_ifindex != veth_index && f.spec.target_ifindex != 0)) continue;
    keep(tc_.delete_filter(host, f));
    emptied.emplace(f.spec.priority, f.spec.protocol);
  }
  BERTH_ASSIGN(const auto remaining, tc_.list_filters(host));
  for (const auto& f : remaining) emptied.erase({f.spec.priority, f.spec.protocol});
  for (const auto& [priority, protocol] : emptied) keep(tc_.delete_priority(host, priority, protocol));
  return first;
}

Status SharedIpNetwork::detach(const std::string& container_id) {
  const std::string what = "detach container \"" + container_id + "\" from " + describe();
  const std::string veth = host_veth_name(container_id);
  int veth_index = 0;
  if (auto link = find_link(nl_, veth); link) {
    if (link->alias != alias_of(container_id)) {
      return Error(EPERM, what + ": link " + veth + " is not its (alias \"" + link->alias + "\")");
    }
    veth_index = link->index;
  } else if (link.error().code() != ENODEV) {
    return std::move(link).error().context(what);
  }
  BERTH_ASSIGN(const Link host_link, find_link(nl_, host_if_).context(what));
  const TcLink host{host_link.index, host_if_};
  // Every step runs; the first error is the one reported. Filters go before the veth, so
  // that a crash in between leaves a veth that the next detach finds.
  Status first = remove_filters(host, veth_index);
  auto keep = [&first](Status s) {
    if (!s && first) first = std::move(s);
  };
  keep(remove_link(nl_, veth));  // its peer, eth0, goes with it
  keep(tc_.remove_ingress_if_unused(host));
  if (!first) return std::move(first).error().context(what);
  return ok();
}

Result<std::vector<SharedIpContainer>> SharedIpNetwork::list() {
  const std::string what = "list containers on " + describe();
  BERTH_ASSIGN(const auto links, list_links(nl_).context(what));
  BERTH_ASSIGN(const Link host_link, find_link(nl_, host_if_).context(what));
  BERTH_ASSIGN(const auto filters, tc_.list_filters(TcLink{host_link.index, host_if_}).context(what));
  std::vector<SharedIpContainer> found;
  for (const Link& link : links) {
    if (!link.alias.starts_with(kAliasPrefix)) continue;
    std::vector<PortBlock> allotted;
    std::vector<PortBlock> ephemeral;
    for (const InstalledFilter& f : filters) {
      if (!is_ours(f) || f.spec.target_ifindex != link.index) continue;
      const auto block = matched_port_block(f.spec);
      if (!block) continue;
      (f.spec.priority == kAllottedPortsPriority ? allotted : ephemeral).push_back(block->second);
    }
    found.push_back(SharedIpContainer{link.alias.substr(kAliasPrefix.size()), link.name, join_blocks(allotted),
                                      join_blocks(ephemeral)});
  }
  std::sort(found.begin(), found.end(),
            [](const SharedIpContainer& x, const SharedIpContainer& y) { return x.container_id < y.container_id; });
  return found;
}

}  // namespace berth::networking::shared_ip
