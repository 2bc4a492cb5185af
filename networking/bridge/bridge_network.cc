#include "networking/bridge/bridge_network.h"

#include <map>

#include "common/file.h"
#include "networking/bridge/published_ports.h"
#include "networking/netlink/addresses.h"
#include "networking/netlink/links.h"
#include "networking/netlink/routes.h"
#include "networking/netlink/rtnl_socket.h"
#include "networking/netns/sysctl.h"

namespace berth::networking {
namespace {

constexpr std::string_view kVethPrefix = "berthv";

// The first error of several steps that all run.
class FirstError {
 public:
  void keep(Status s) {
    if (!s && first_) first_ = std::move(s);
  }
  Status take() { return std::move(first_); }

 private:
  Status first_ = ok();
};

Result<IpPrefix> gateway_of(const ipam::AddressPool& pool) {
  return IpPrefix::make(pool.gateway(), pool.subnet().prefix_length());
}

// The bridge up, with the gateway addresses and MTU; made when missing.
Status ensure_bridge(RtnlSocket& nl, const BridgeConfig& config, const std::vector<IpPrefix>& gateways) {
  auto found = find_link(nl, config.bridge);
  if (!found) {
    if (found.error().code() != ENODEV) return found.error();
    // Multicast snooping off: containers on a bridge of their own rarely use multicast, and
    // with snooping on every port added, brought up or removed has the bridge track and time
    // that port's IGMP/MLD state (its link-local address's MLD reports included), a cost
    // per port. Flooding multicast to every port, as a hub does, is what a container
    // network is expected to do.
    BERTH_TRY(create_bridge(nl, config.bridge, {.multicast_snooping = false}));
    found = find_link(nl, config.bridge);
    if (!found) return found.error();
  }
  // The bridge's MAC address pinned (set once, to what it is): left to itself the kernel
  // gives a bridge the lowest MAC of its ports, so the gateway's address would change as
  // containers come and go (their neighbour entries going stale), and each port added would
  // walk all the others to recompute it.
  BERTH_TRY(set_link_mac(nl, config.bridge, found->mac));
  // Set by hand, so the kernel stops matching it to the smallest port MTU on each enslave.
  BERTH_TRY(set_link_mtu(nl, config.bridge, config.mtu));
  BERTH_ASSIGN(auto addresses, list_addresses(nl, config.bridge));
  for (const auto& gateway : gateways) {
    bool has_gateway = false;
    for (const auto& a : addresses) has_gateway = has_gateway || a.prefix == gateway;
    // No duplicate address detection: the gateway is usable (bindable) at once.
    if (!has_gateway) BERTH_TRY(add_address(nl, config.bridge, gateway, {.no_dad = true}));
  }
  return set_link_up(nl, config.bridge);
}

// config.subnet, then config.subnet6 when given: one IPv4 and one IPv6 subnet at most.
Result<std::vector<Subnet>> configured_subnets(const BridgeConfig& config) {
  BERTH_ASSIGN(auto subnet, Subnet::parse(config.subnet));
  std::vector<Subnet> subnets{subnet};
  if (config.subnet6.empty()) return subnets;
  BERTH_ASSIGN(auto subnet6, Subnet::parse(config.subnet6));
  if (subnet.family() != Family::kIpv4 || subnet6.family() != Family::kIpv6) {
    return Error(
        EINVAL, "dual stack wants an IPv4 subnet and an IPv6 subnet6, not " + config.subnet + " and " + config.subnet6);
  }
  subnets.push_back(subnet6);
  return subnets;
}

Status enable_forwarding(const std::string& bridge, Family family) {
  if (family == Family::kIpv6) return write_sysctl_here("net.ipv6.conf.all.forwarding", "1");
  BERTH_TRY(write_sysctl_here("net.ipv4.ip_forward", "1"));
  if (auto was = nft::enable_route_localnet(bridge); !was) return was.error();
  return ok();
}

// The static address the attachment asks for in a family, if any.
std::optional<IpAddress> requested(const ContainerAttachment& a, Family family) {
  return family == Family::kIpv6 ? a.address6 : a.address;
}

}  // namespace

std::vector<IpAddress> AttachedNetwork::addresses() const {
  std::vector<IpAddress> out{address.address()};
  if (address6) out.push_back(address6->address());
  return out;
}

bool RecoveryReport::empty() const {
  return containers.empty() && links.empty() && addresses.empty() && rules.empty() && records.empty();
}

std::string BridgeNetwork::host_veth_name(const std::string& container_id) {
  return hashed_link_name(kVethPrefix, container_id);
}

Result<BridgeNetwork> BridgeNetwork::open(const BridgeConfig& config) {
  const std::string what = "bridge network " + config.bridge;
  auto subnets = configured_subnets(config);
  if (!subnets) return subnets.error().context(what);
  std::vector<FamilyPool> pools;
  std::vector<IpPrefix> gateways;
  for (const auto& subnet : *subnets) {
    BERTH_ASSIGN(auto pool, ipam::AddressPool::open(path_join(config.state_dir, "ipam"), subnet));
    BERTH_ASSIGN(auto gateway, gateway_of(pool));
    gateways.push_back(gateway);
    pools.push_back({subnet, std::move(pool)});
  }
  BERTH_ASSIGN(auto records, AttachmentStore::open(path_join(config.state_dir, "attachments")));
  BERTH_ASSIGN(auto nl, RtnlSocket::open());
  if (auto s = ensure_bridge(nl, config, gateways); !s) return s.error().context(what);
  BERTH_ASSIGN(auto table, nft::NatTable::open(config.nft_table, config.nft_lock));
  BERTH_TRY(table.ensure(*subnets));
  for (const auto& subnet : *subnets) {
    if (auto s = enable_forwarding(config.bridge, subnet.family()); !s) {
      return s.error().context(what + ": enable forwarding");
    }
  }
  return BridgeNetwork(config, std::move(pools), std::move(table), std::move(records),
                       path_exists("/proc/sys/net/ipv6"));
}

Status BridgeNetwork::plumb(const ContainerAttachment& a, const std::vector<ipam::Allocation>& allocations,
                            const std::vector<nft::PortMapping>& rules, const std::string& veth) {
  BERTH_ASSIGN(auto host, RtnlSocket::open());
  BERTH_ASSIGN(auto bridge, find_link(host, config_.bridge));
  // One request: the host end made a port of the bridge and up, both ends at the MTU.
  BERTH_TRY(create_veth(host, veth, a.ifname, a.netns, {.mtu = config_.mtu, .master = bridge.index, .up = true}));
  // The host end is only a port of the bridge and needs no IPv6 of its own. Disabled now,
  // before it has a carrier (its peer is still down), the kernel never gives it a link-local
  // address with its DAD probe and MLD reports, nor the fe80::/64 and ff00::/8 routes that each
  // port would add to the host's routing table, each insert walking the same routes of all the
  // other ports while holding the RTNL lock.
  if (host_ipv6_) BERTH_TRY(write_sysctl_here("net/ipv6/conf/" + veth + "/disable_ipv6", "1"));
  BERTH_ASSIGN(auto inside, RtnlSocket::open_in(*a.netns));
  // lo first: bringing eth0 up sets off the bridge's work on its new port in a kernel worker
  // that holds the RTNL lock, which every request after it then waits for.
  BERTH_TRY(set_link_up(inside, "lo"));
  for (const auto& alloc : allocations) {
    BERTH_ASSIGN(auto address, IpPrefix::make(alloc.address, alloc.subnet.prefix_length()));
    BERTH_TRY(add_address(inside, a.ifname, address, {.no_dad = true}));
  }
  // Without an IPv6 pool the container's link makes no link-local address: see LinkUpSetup.
  BERTH_TRY(set_link_up(inside, a.ifname, {.ipv6_link_local = pools_.size() > 1}));
  for (const auto& alloc : allocations) BERTH_TRY(add_default_route(inside, alloc.gateway, a.ifname));
  if (!rules.empty()) BERTH_TRY(table_.publish(a.container_id, rules));
  return ok();
}

Result<AttachedNetwork> BridgeNetwork::attach_recorded(const ContainerAttachment& a, AttachmentRecord& record) {
  std::vector<ipam::Allocation> allocations;
  record.addresses.clear();
  for (auto& [subnet, pool] : pools_) {
    BERTH_ASSIGN(auto alloc, pool.allocate(a.container_id, requested(a, subnet.family())));
    record.addresses.push_back(alloc.address);
    allocations.push_back(std::move(alloc));
  }
  BERTH_ASSIGN(record.published, port_rules(a.publish, record.addresses));
  BERTH_TRY(plumb(a, allocations, record.published, record.host_veth));
  record.phase = AttachPhase::kAttached;
  BERTH_TRY(records_.save(record));
  AttachedNetwork out;
  out.host_veth = record.host_veth;
  for (const auto& alloc : allocations) {
    BERTH_ASSIGN(auto address, IpPrefix::make(alloc.address, alloc.subnet.prefix_length()));
    if (alloc.address.is_v6() && pools_.size() > 1) {
      out.address6 = address;
      out.gateway6 = alloc.gateway;
    } else {
      out.address = address;
      out.gateway = alloc.gateway;
    }
  }
  return out;
}

Result<AttachedNetwork> BridgeNetwork::attach(const ContainerAttachment& a) {
  const std::string what = "attach container \"" + a.container_id + "\" to " + config_.bridge;
  if (a.netns == nullptr) return Error(EINVAL, what + ": no network namespace");
  // The intent, on disk before any address or kernel object exists: what recover() needs to
  // undo this attach if the process dies in the middle of it.
  AttachmentRecord record{a.container_id,
                          AttachPhase::kAttaching,
                          config_.bridge,
                          host_veth_name(a.container_id),
                          a.ifname,
                          a.netns->name(),
                          {},
                          a.publish};
  for (const auto& asked : {a.address, a.address6}) {
    if (asked) record.addresses.push_back(*asked);
  }
  if (auto s = records_.save(record); !s) return s.error().context(what);
  auto attached = attach_recorded(a, record);
  if (!attached) {
    (void)detach(a.container_id);  // all or nothing
    return attached.error().context(what);
  }
  return attached;
}

Status BridgeNetwork::detach(const std::string& container_id) {
  // Every step runs; the first error is the one reported.
  FirstError errors;
  errors.keep(table_.unpublish(container_id));
  // Deleting the host end removes its peer inside the container's namespace too.
  auto host = RtnlSocket::open();
  errors.keep(host ? remove_link(*host, host_veth_name(container_id)) : Status(host.error()));
  for (auto& family : pools_) errors.keep(family.pool.release(container_id));
  // Last, so that a detach cut short is finished by recover().
  Status done = errors.take();
  if (done) done = records_.remove(container_id);
  if (!done) return done.error().context("detach container \"" + container_id + "\" from " + config_.bridge);
  return ok();
}

Result<RecoveryReport> BridgeNetwork::recover(const std::set<std::string>& known_ids) {
  const std::string what = "recover bridge network " + config_.bridge;
  auto records = records_.load_all();
  if (!records) return records.error().context(what);
  // Kept: known containers, less those whose record says their attach never finished.
  std::set<std::string> kept = known_ids;
  std::vector<AttachmentRecord> undone;
  for (const auto& r : *records) {
    if (known_ids.contains(r.container_id) && r.phase == AttachPhase::kAttached) continue;
    kept.erase(r.container_id);
    undone.push_back(r);
  }
  RecoveryReport report;
  for (const auto& r : undone) report.containers.push_back(r.container_id);
  // Each step runs whatever the others did; the records go last, so a recovery cut short is
  // done again next time.
  FirstError errors;
  errors.keep(remove_links(undone, kept, report));
  errors.keep(free_addresses(kept, report));
  errors.keep(reconcile_rules(known_ids, *records, kept, report));
  if (Status done = errors.take(); !done) return done.error().context(what);
  for (const auto& r : undone) {
    if (auto s = records_.remove(r.container_id); !s) return s.error().context(what);
    report.records.push_back(records_.path_of(r.container_id));
  }
  auto partial = records_.remove_partial_writes();
  if (!partial) return partial.error().context(what);
  report.records.insert(report.records.end(), partial->begin(), partial->end());
  return report;
}

Status BridgeNetwork::remove_links(const std::vector<AttachmentRecord>& undone, const std::set<std::string>& kept,
                                   RecoveryReport& report) {
  BERTH_ASSIGN(auto host, RtnlSocket::open());
  std::set<std::string> doomed;
  for (const auto& r : undone) doomed.insert(r.host_veth);
  // A veth of ours on the bridge that no kept container owns: its record is gone (or was
  // never written by an older berth).
  BERTH_ASSIGN(auto bridge, find_link(host, config_.bridge));
  BERTH_ASSIGN(auto links, list_links(host));
  std::set<std::string> owned;
  for (const auto& id : kept) owned.insert(host_veth_name(id));
  for (const auto& link : links) {
    if (link.master == bridge.index && link.name.starts_with(kVethPrefix) && !owned.contains(link.name)) {
      doomed.insert(link.name);
    }
  }
  for (const auto& name : doomed) {
    auto found = find_link(host, name);
    if (!found && found.error().code() == ENODEV) continue;
    BERTH_TRY(remove_link(host, name));
    report.links.push_back(name);
  }
  return ok();
}

Status BridgeNetwork::free_addresses(const std::set<std::string>& kept, RecoveryReport& report) {
  for (auto& family : pools_) {
    BERTH_ASSIGN(auto allocations, family.pool.allocations());
    for (const auto& [id, address] : allocations) {
      if (!kept.contains(id)) report.addresses.push_back(id + " " + address.to_string());
    }
    if (auto freed = family.pool.recover(kept); !freed) return freed.error();
  }
  return ok();
}

Status BridgeNetwork::reconcile_rules(const std::set<std::string>& known_ids,
                                      const std::vector<AttachmentRecord>& records, const std::set<std::string>& kept,
                                      RecoveryReport& report) {
  // The rules of kept containers: from their records, or as found when they have none.
  std::map<std::string, std::vector<nft::PortMapping>> desired;
  std::set<std::string> recorded;
  for (const auto& r : records) {
    recorded.insert(r.container_id);
    if (kept.contains(r.container_id)) desired[r.container_id] = r.published;
  }
  BERTH_ASSIGN(auto published, table_.published());
  for (const auto& port : published) {
    if (known_ids.contains(port.container_id) && !recorded.contains(port.container_id)) {
      desired[port.container_id].push_back(port.mapping);
    }
  }
  BERTH_ASSIGN(auto reconciled, table_.reconcile(desired));
  report.rules = std::move(reconciled.removed);
  return ok();
}

}  // namespace berth::networking
