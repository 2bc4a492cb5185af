// Bridge mode (IP-per-container): one bridge (berth0) holding the subnet's gateway address;
// per container a veth pair whose peer is made directly inside the container's network
// namespace as eth0, an address from the subnet's pool, a default route via the gateway, and
// its published ports in the nftables table. attach() is all or nothing; detach() removes
// what attach() made and is idempotent. Works in the caller's network namespace (the host).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/ipam/address_pool.h"
#include "networking/netns/netns.h"
#include "networking/nft/nat_table.h"
#include "networking/nft/port_mapping.h"

namespace berth::networking {

struct BridgeConfig {
  std::string bridge = "berth0";
  std::string subnet = "10.88.0.0/16";
  uint32_t mtu = 1500;
  std::string state_dir = "/var/lib/berth/network";  // IPAM records
  std::string nft_table = "berth";
  std::string nft_lock;  // e.g. /run/berth/nft-berth.lock
};

struct ContainerAttachment {
  std::string container_id;
  const Netns* netns = nullptr;  // the container's network namespace
  std::string ifname = "eth0";
  std::optional<IpAddress> address;       // a static address, else the pool's next
  std::vector<nft::PortMapping> publish;  // container_ip is filled in
};

struct AttachedNetwork {
  IpPrefix address;  // the container's address with the subnet's length
  IpAddress gateway;
  std::string host_veth;
};

class BridgeNetwork {
 public:
  // Makes the bridge (up, gateway address, MTU) and the nftables table when missing,
  // enables forwarding and route_localnet on the bridge (published ports on 127.0.0.1).
  static Result<BridgeNetwork> open(const BridgeConfig& config);

  Result<AttachedNetwork> attach(const ContainerAttachment& a);
  Status detach(const std::string& container_id);

  // The host side veth of a container: "berthv" + 8 hex digits of a hash of its id.
  static std::string host_veth_name(const std::string& container_id);

 private:
  BridgeNetwork(BridgeConfig config, const Subnet& subnet, ipam::AddressPool pool, nft::NatTable table)
      : config_(std::move(config)), subnet_(subnet), pool_(std::move(pool)), table_(std::move(table)) {}
  Status plumb(const ContainerAttachment& a, const ipam::Allocation& alloc, const std::string& veth);

  BridgeConfig config_;
  Subnet subnet_;
  ipam::AddressPool pool_;
  nft::NatTable table_;
};

}  // namespace berth::networking
