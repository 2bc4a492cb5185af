// Bridge mode (IP-per-container): one bridge (berth0) holding the gateway address of an IPv4
// subnet and, for dual stack, of an IPv6 one; per container a veth pair whose peer is made
// directly inside the container's network namespace as eth0, an address from each subnet's
// pool, a default route per family via the gateway, and its published ports in the nftables
// table (for both families where it has both addresses). attach() is all or nothing; detach()
// removes what attach() made and is idempotent; recover() undoes, after a crash, the attaches
// that a killed process left half done. Works in the caller's network namespace (the host).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/bridge/attachment_record.h"
#include "networking/ipam/address_pool.h"
#include "networking/netns/netns.h"
#include "networking/nft/nat_table.h"
#include "networking/nft/port_mapping.h"

namespace berth::networking {

struct BridgeConfig {
  std::string bridge = "berth0";
  std::string subnet = "10.88.0.0/16";
  std::string subnet6;  // e.g. "fd00:be7::/64" for dual stack (subnet must then be IPv4); empty: none
  uint32_t mtu = 1500;
  // IPAM and attachment records. They describe kernel objects that die with the boot (veths,
  // rules, the addresses running containers hold), so they live where the boot's state lives:
  // /run, a tmpfs on production hosts. A reboot then starts with no stale allocation, and a
  // setup creates its few small files in memory rather than on a disk.
  std::string state_dir = "/run/berth/network";
  std::string nft_table = "berth";
  std::string nft_lock;  // e.g. /run/berth/nft-berth.lock
};

struct ContainerAttachment {
  std::string container_id;
  const Netns* netns = nullptr;  // the container's network namespace
  std::string ifname = "eth0";
  std::optional<IpAddress> address;       // a static address in `subnet`, else the pool's next
  std::vector<nft::PortMapping> publish;  // container_ip is filled in (see published_ports.h)
  std::optional<IpAddress> address6;      // a static address in `subnet6`, else the pool's next
};

struct AttachedNetwork {
  IpPrefix address;  // the container's address with the subnet's length
  IpAddress gateway;
  std::string host_veth;
  std::optional<IpPrefix> address6;  // dual stack only: as above, in subnet6
  std::optional<IpAddress> gateway6;

  // The container's addresses (for /etc/hosts): address, then address6 when there is one.
  [[nodiscard]] std::vector<IpAddress> addresses() const;
};

// What recover() removed.
struct RecoveryReport {
  std::vector<std::string> containers;  // ids whose attachment was undone
  std::vector<std::string> links;       // host veths deleted
  std::vector<std::string> addresses;   // "<id> <address>" allocations freed
  std::vector<std::string> rules;       // nftables port rules deleted
  std::vector<std::string> records;     // attachment record files (and partial writes) deleted
  [[nodiscard]] bool empty() const;
};

class BridgeNetwork {
 public:
  // Makes the bridge (up, gateway addresses, MTU) and the nftables table when missing,
  // enables forwarding for each family and route_localnet on the bridge (published ports on
  // 127.0.0.1).
  static Result<BridgeNetwork> open(const BridgeConfig& config);

  Result<AttachedNetwork> attach(const ContainerAttachment& a);
  Status detach(const std::string& container_id);

  // For start-up, before any attach: undoes the attachments of containers not in
  // `known_ids`, and of known ones whose attach never finished (their process was killed in
  // the middle): host veths (found by record, and any berthv* port of the bridge nobody
  // kept), IPAM allocations, nftables port rules, records. Known containers whose attach
  // finished, and known ones without a record, keep everything. `known_ids` must hold every
  // container berth knows, not only this network's: the nftables table may be shared, and
  // the port rules of containers not in it are deleted.
  Result<RecoveryReport> recover(const std::set<std::string>& known_ids);

  // The host side veth of a container: "berthv" + 8 hex digits of a hash of its id.
  static std::string host_veth_name(const std::string& container_id);

 private:
  // One family's subnet and its address pool.
  struct FamilyPool {
    Subnet subnet;
    ipam::AddressPool pool;
  };

  BridgeNetwork(BridgeConfig config, std::vector<FamilyPool> pools, nft::NatTable table, AttachmentStore records,
                bool host_ipv6)
      : config_(std::move(config)),
        pools_(std::move(pools)),
        table_(std::move(table)),
        records_(std::move(records)),
        host_ipv6_(host_ipv6) {}
  Result<AttachedNetwork> attach_recorded(const ContainerAttachment& a, AttachmentRecord& record);
  Status plumb(const ContainerAttachment& a, const std::vector<ipam::Allocation>& allocations,
               const std::vector<nft::PortMapping>& rules, const std::string& veth);
  Status remove_links(const std::vector<AttachmentRecord>& undone, const std::set<std::string>& kept,
                      RecoveryReport& report);
  Status free_addresses(const std::set<std::string>& kept, RecoveryReport& report);
  Status reconcile_rules(const std::set<std::string>& known_ids, const std::vector<AttachmentRecord>& records,
                         const std::set<std::string>& kept, RecoveryReport& report);

  BridgeConfig config_;
  std::vector<FamilyPool> pools_;  // the IPv4 (or single) pool first, then the IPv6 one
  nft::NatTable table_;
  AttachmentStore records_;
  bool host_ipv6_ = false;  // the host's kernel has IPv6 (/proc/sys/net/ipv6)
};

}  // namespace berth::networking
