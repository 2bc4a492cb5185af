#include "networking/ipam/address_pool.h"

#include <algorithm>
#include <cstdio>

#include "common/fd.h"
#include "common/file.h"
#include "networking/ipam/file_lock.h"
#include "networking/ipam/legacy_record.h"

namespace berth::ipam {

using networking::Family;
using networking::HostOffset;
using networking::IpAddress;
using networking::Subnet;

namespace {

// Round robin usually finds a free address at the first try; after this many taken ones in a
// row, the used addresses are read once and skipped.
constexpr HostOffset kQuickTries = 16;

std::string file_stem(const Subnet& subnet) {
  return subnet.network().to_string() + "_" + std::to_string(subnet.prefix_length());
}

std::string u128_to_string(HostOffset v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

// Moves the allocations of an older berth's record into `dir`, once, under that berth's lock.
Status migrate_legacy_record(const std::string& record, const std::string& lock_path, AllocationDir& dir,
                             const Subnet& subnet) {
  if (!path_exists(record)) return ok();
  BERTH_ASSIGN(UniqueFd lock, lock_exclusive(lock_path));
  if (!path_exists(record)) return ok();  // another process migrated it meanwhile
  const std::string what = "move ipam record " + record + " into " + dir.path();
  auto legacy = read_legacy_record(record, subnet);
  if (!legacy) {
    return std::move(legacy).error().context(what + " (it cannot be read; move it away to start the subnet empty)");
  }
  for (const auto& [id, address] : legacy->allocations) {
    BERTH_ASSIGN(std::optional<std::string> holder, dir.claim(address, id).context(what));
    if (holder && *holder != id) {
      std::string message = what;
      message += ": " + address.to_string() + " of container \"" + id + "\" is already held by \"";
      message += *holder + "\"";
      return Error(EEXIST, std::move(message));
    }
    BERTH_TRY(dir.index(id, address).context(what));
  }
  if (legacy->last_allocated) (void)dir.set_last_given(*legacy->last_allocated);  // a hint only
  const std::string done = record + ".migrated";
  if (::rename(record.c_str(), done.c_str()) != 0) return Error::from_errno(what + ": rename to " + done);
  return ok();
}

}  // namespace

Result<AddressPool> AddressPool::open(const std::string& state_dir, const Subnet& subnet) {
  const unsigned max_prefix = subnet.family() == Family::kIpv4 ? 30 : 126;
  if (subnet.prefix_length() > max_prefix) {
    return Error(EINVAL, "subnet " + subnet.to_string() + " is too small for a gateway and a container (want /" +
                             std::to_string(max_prefix) + " or shorter)");
  }
  BERTH_TRY(mkdir_p(state_dir, 0700).context("ipam state dir"));
  const std::string stem = path_join(state_dir, file_stem(subnet));
  BERTH_ASSIGN(AllocationDir dir, AllocationDir::open(stem, subnet));
  BERTH_TRY(migrate_legacy_record(stem + ".json", stem + ".lock", dir, subnet));
  return AddressPool(subnet, std::move(dir));
}

Result<IpAddress> AddressPool::claim_next(const std::string& container_id) {
  // Offsets 0 (network) and 1 (gateway) are never handed out, nor the IPv4 broadcast.
  const HostOffset first = 2;
  const HostOffset last = subnet_.family() == Family::kIpv4 ? subnet_.last_offset() - 1 : subnet_.last_offset();
  const HostOffset capacity = last - first + 1;
  HostOffset cursor = first;
  if (auto hint = dir_.last_given()) {
    const HostOffset last_given = hint->minus(subnet_.network());
    if (last_given >= first && last_given < last) cursor = last_given + 1;
  }
  std::optional<std::set<IpAddress>> used;  // read once the quick tries found all taken
  const std::string full = "subnet " + subnet_.to_string() + " is full: all " + u128_to_string(capacity) +
                           " container addresses are allocated";
  for (HostOffset tries = 0; tries < capacity; ++tries, cursor = cursor == last ? first : cursor + 1) {
    const IpAddress candidate = subnet_.network().plus(cursor);
    if (used && used->contains(candidate)) continue;
    BERTH_ASSIGN(std::optional<std::string> holder, dir_.claim(candidate, container_id));
    if (!holder) return candidate;
    if (!used && tries + 1 >= kQuickTries) {
      BERTH_ASSIGN(auto held, dir_.list());
      used.emplace();
      for (const auto& [id, address] : held) used->insert(address);
      if (used->size() >= capacity) return Error(ENOSPC, full);
    }
  }
  return Error(ENOSPC, full);
}

Status AddressPool::check_requested(const std::string& container_id, const IpAddress& requested) const {
  const std::string what = "address " + requested.to_string() + " for container \"" + container_id + "\"";
  if (!subnet_.contains(requested)) return Error(EINVAL, what + ": not in subnet " + subnet_.to_string());
  const HostOffset offset = requested.minus(subnet_.network());
  if (offset == 0) return Error(EINVAL, what + ": the network address of " + subnet_.to_string() + " is reserved");
  if (offset == 1) return Error(EINVAL, what + ": it is the gateway of " + subnet_.to_string());
  if (subnet_.family() == Family::kIpv4 && offset == subnet_.last_offset()) {
    return Error(EINVAL, what + ": the broadcast address of " + subnet_.to_string() + " is reserved");
  }
  return ok();
}

Result<Allocation> AddressPool::allocate(const std::string& container_id, const std::optional<IpAddress>& requested) {
  if (container_id.empty()) return Error(EINVAL, "ipam allocate: empty container id");
  Allocation allocation{container_id, {}, subnet_, gateway_};
  BERTH_ASSIGN(std::optional<IpAddress> held, dir_.address_of(container_id));
  if (held) {
    if (requested && *requested != *held) {
      return Error(EEXIST, "address " + requested->to_string() + " for container \"" + container_id +
                               "\": it already holds " + held->to_string());
    }
    allocation.address = *held;
    return allocation;
  }
  if (requested) {
    BERTH_TRY(check_requested(container_id, *requested));
    BERTH_ASSIGN(std::optional<std::string> holder, dir_.claim(*requested, container_id));
    if (holder && *holder != container_id) {
      return Error(EADDRINUSE, "address " + requested->to_string() + " for container \"" + container_id +
                                   "\": already allocated to container \"" + *holder + "\"");
    }
    allocation.address = *requested;
  } else {
    BERTH_ASSIGN(allocation.address, claim_next(container_id));
    (void)dir_.set_last_given(allocation.address);  // a hint only: a failure costs nothing but order
  }
  if (Status indexed = dir_.index(container_id, allocation.address); !indexed) {
    (void)dir_.release(allocation.address, container_id);
    return std::move(indexed).error().context("record address of container \"" + container_id + "\"");
  }
  return allocation;
}

Status AddressPool::release(const std::string& container_id) {
  return dir_.release(container_id).context("release address of container \"" + container_id + "\"");
}

Result<std::vector<std::string>> AddressPool::recover(const std::set<std::string>& known_ids) {
  BERTH_ASSIGN(auto held, dir_.list());
  std::vector<std::string> released;
  for (const auto& [id, address] : held) {
    if (known_ids.contains(id)) continue;
    BERTH_TRY(dir_.release(address, id).context("release address of unknown container \"" + id + "\""));
    released.push_back(id);
  }
  BERTH_TRY(dir_.prune_index().context("ipam recover"));
  return released;
}

Result<std::map<std::string, IpAddress>> AddressPool::allocations() const { return dir_.list(); }

}  // namespace berth::ipam
