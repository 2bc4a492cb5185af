// Address management for one container subnet (host-local style): the first address is the
// gateway, the rest are handed out round-robin after the last one given, each to one
// container id at a time. The allocations live in a directory per subnet with one entry per
// allocation, claimed atomically (allocation_dir.h), so that processes sharing the state dir
// never hand out an address twice and an allocation costs the same however many are held.
// Never touches interfaces or routes: it only decides addresses.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/ipam/allocation_dir.h"

namespace berth::ipam {

struct Allocation {
  std::string container_id;
  networking::IpAddress address;
  networking::Subnet subnet;
  networking::IpAddress gateway;
};

class AddressPool {
 public:
  // A pool for `subnet` whose allocations live in <state_dir>/<network>_<prefix>/; state_dir
  // is created when missing. Pools for other subnets may share the directory. An IPv4 subnet
  // needs a prefix of /30 or shorter, an IPv6 one /126 or shorter: room for a gateway and a
  // container. The record of an older berth, <state_dir>/<network>_<prefix>.json, is moved
  // into the directory once (and renamed to .json.migrated); one that cannot be read (newer
  // version, another subnet, an address held twice) is refused, naming it.
  static Result<AddressPool> open(const std::string& state_dir, const networking::Subnet& subnet);

  [[nodiscard]] const networking::Subnet& subnet() const { return subnet_; }
  // The subnet's first address (network + 1): never handed to a container.
  [[nodiscard]] const networking::IpAddress& gateway() const { return gateway_; }
  // The directory holding the allocations.
  [[nodiscard]] const std::string& record_path() const { return dir_.path(); }

  // An address for `container_id`: `requested` when given (refused when it is outside the
  // subnet, reserved, or held by another container), else the next free one after the last
  // handed out. A container that already holds an address gets the same one back.
  Result<Allocation> allocate(const std::string& container_id,
                              const std::optional<networking::IpAddress>& requested = {});
  // Frees the container's address; releasing an id that holds none is not an error. (After a
  // crash between claiming an address and indexing it, that address is freed by recover().)
  Status release(const std::string& container_id);
  // Frees the addresses of every container not in `known_ids` (after a restart, for
  // containers that went away meanwhile) and returns their ids.
  Result<std::vector<std::string>> recover(const std::set<std::string>& known_ids);
  // Container id -> address, as recorded now.
  [[nodiscard]] Result<std::map<std::string, networking::IpAddress>> allocations() const;

 private:
  AddressPool(const networking::Subnet& subnet, AllocationDir dir)
      : subnet_(subnet), gateway_(subnet_.network().plus(1)), dir_(std::move(dir)) {}

  // Claims the next free address after the last one handed out.
  Result<networking::IpAddress> claim_next(const std::string& container_id);
  // Refuses an address outside the subnet or reserved in it.
  Status check_requested(const std::string& container_id, const networking::IpAddress& requested) const;

  networking::Subnet subnet_;
  networking::IpAddress gateway_;
  AllocationDir dir_;
};

}  // namespace berth::ipam
