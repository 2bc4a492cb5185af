#include "networking/ipam/address_pool.h"

#include <algorithm>
#include <sstream>

#include <cereal/archives/json.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>

#include "common/fd.h"
#include "common/file.h"
#include "networking/ipam/file_lock.h"

namespace berth::ipam {

using networking::Family;
using networking::HostOffset;
using networking::IpAddress;
using networking::Subnet;

namespace {

// What is stored: addresses as text, so that the record reads well and survives a change of
// the in-memory type.
struct PoolRecord {
  static constexpr int kVersion = 1;
  int version = kVersion;
  std::string subnet;
  std::string last_allocated;  // "" before the first allocation
  std::map<std::string, std::string> allocations;
};

template <class Archive>
void serialize(Archive& ar, PoolRecord& r) {
  ar(cereal::make_nvp("version", r.version), cereal::make_nvp("subnet", r.subnet),
     cereal::make_nvp("last_allocated", r.last_allocated), cereal::make_nvp("allocations", r.allocations));
}

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

}  // namespace

struct AddressPool::State {
  std::optional<IpAddress> last_allocated;
  std::map<std::string, IpAddress> allocations;
};

AddressPool::AddressPool(const Subnet& subnet, std::string record_path, std::string lock_path)
    : subnet_(subnet),
      gateway_(subnet_.network().plus(1)),
      record_path_(std::move(record_path)),
      lock_path_(std::move(lock_path)) {}

Result<AddressPool> AddressPool::open(const std::string& state_dir, const Subnet& subnet) {
  const unsigned max_prefix = subnet.family() == Family::kIpv4 ? 30 : 126;
  if (subnet.prefix_length() > max_prefix) {
    return Error(EINVAL, "subnet " + subnet.to_string() + " is too small for a gateway and a container (want /" +
                             std::to_string(max_prefix) + " or shorter)");
  }
  BERTH_TRY(mkdir_p(state_dir, 0700).context("ipam state dir"));
  const std::string stem = path_join(state_dir, file_stem(subnet));
  return AddressPool(subnet, stem + ".json", stem + ".lock");
}

Result<AddressPool::State> AddressPool::load() const {
  State state;
  auto text = read_file(record_path_);
  if (!text) {
    if (text.error().code() == ENOENT) return state;
    return std::move(text).error();
  }
  PoolRecord record;
  try {
    std::istringstream in(*text);
    cereal::JSONInputArchive ar(in);
    ar(cereal::make_nvp("pool", record));
  } catch (const std::exception& e) {
    return Error(EINVAL, "read " + record_path_ + ": " + e.what());
  }
  if (record.version > PoolRecord::kVersion) {
    return Error(EINVAL, record_path_ + ": record version " + std::to_string(record.version) +
                             " is newer than this berth understands");
  }
  if (record.subnet != subnet_.to_string()) {
    return Error(EINVAL, record_path_ + ": holds subnet " + record.subnet + ", not " + subnet_.to_string());
  }
  auto parse_member = [&](const std::string& text_address) -> Result<IpAddress> {
    auto a = IpAddress::parse(text_address);
    if (!a) return std::move(a).error().context(record_path_);
    if (!subnet_.contains(*a)) return Error(EINVAL, record_path_ + ": " + text_address + " is outside the subnet");
    return a;
  };
  if (!record.last_allocated.empty()) {
    BERTH_ASSIGN(state.last_allocated, parse_member(record.last_allocated));
  }
  for (const auto& [id, text_address] : record.allocations) {
    BERTH_ASSIGN(state.allocations[id], parse_member(text_address));
  }
  return state;
}

Status AddressPool::save(const State& state) const {
  PoolRecord record;
  record.subnet = subnet_.to_string();
  if (state.last_allocated) record.last_allocated = state.last_allocated->to_string();
  for (const auto& [id, address] : state.allocations) record.allocations[id] = address.to_string();
  std::ostringstream out;
  try {
    cereal::JSONOutputArchive ar(out);
    ar(cereal::make_nvp("pool", record));
  } catch (const std::exception& e) {
    return Error(EIO, std::string("serialize ipam record: ") + e.what());
  }
  return write_file_atomic(record_path_, out.str(), 0600, Durability::kDurable);
}

Result<IpAddress> AddressPool::next_free(const State& state) const {
  // Offsets 0 (network) and 1 (gateway) are never handed out, nor the IPv4 broadcast.
  const HostOffset first = 2;
  const HostOffset last = subnet_.family() == Family::kIpv4 ? subnet_.last_offset() - 1 : subnet_.last_offset();
  const HostOffset capacity = last - first + 1;
  if (capacity <= state.allocations.size()) {
    return Error(ENOSPC, "subnet " + subnet_.to_string() + " is full: all " + u128_to_string(capacity) +
                             " container addresses are allocated");
  }
  std::set<IpAddress> used;
  for (const auto& [id, address] : state.allocations) used.insert(address);
  HostOffset cursor = first;
  if (state.last_allocated) {
    HostOffset last_given = state.last_allocated->minus(subnet_.network());
    if (last_given >= first && last_given < last) cursor = last_given + 1;
  }
  // Fewer addresses are used than there are, so one of the next used.size() + 1 is free.
  for (size_t tries = 0; tries <= used.size(); ++tries) {
    IpAddress candidate = subnet_.network().plus(cursor);
    if (!used.contains(candidate)) return candidate;
    cursor = cursor == last ? first : cursor + 1;
  }
  return Error(EIO, "subnet " + subnet_.to_string() + ": no free address found (record " + record_path_ + ")");
}

Status AddressPool::check_requested(const State& state, const std::string& container_id,
                                    const IpAddress& requested) const {
  const std::string what = "address " + requested.to_string() + " for container \"" + container_id + "\"";
  if (!subnet_.contains(requested)) return Error(EINVAL, what + ": not in subnet " + subnet_.to_string());
  const HostOffset offset = requested.minus(subnet_.network());
  if (offset == 0) return Error(EINVAL, what + ": the network address of " + subnet_.to_string() + " is reserved");
  if (offset == 1) return Error(EINVAL, what + ": it is the gateway of " + subnet_.to_string());
  if (subnet_.family() == Family::kIpv4 && offset == subnet_.last_offset()) {
    return Error(EINVAL, what + ": the broadcast address of " + subnet_.to_string() + " is reserved");
  }
  for (const auto& [id, address] : state.allocations) {
    if (address == requested && id != container_id) {
      std::string message = what;
      message += ": already allocated to container \"" + id + "\"";
      return Error(EADDRINUSE, std::move(message));
    }
  }
  return ok();
}

Result<Allocation> AddressPool::allocate(const std::string& container_id, const std::optional<IpAddress>& requested) {
  if (container_id.empty()) return Error(EINVAL, "ipam allocate: empty container id");
  BERTH_ASSIGN(UniqueFd lock, lock_exclusive(lock_path_));
  BERTH_ASSIGN(State state, load());
  Allocation allocation{container_id, {}, subnet_, gateway_};
  if (auto held = state.allocations.find(container_id); held != state.allocations.end()) {
    if (requested && *requested != held->second) {
      return Error(EEXIST, "address " + requested->to_string() + " for container \"" + container_id +
                               "\": it already holds " + held->second.to_string());
    }
    allocation.address = held->second;
    return allocation;
  }
  if (requested) {
    BERTH_TRY(check_requested(state, container_id, *requested));
    allocation.address = *requested;
  } else {
    BERTH_ASSIGN(allocation.address, next_free(state));
    state.last_allocated = allocation.address;
  }
  state.allocations[container_id] = allocation.address;
  BERTH_TRY(save(state).context("record address of container \"" + container_id + "\""));
  return allocation;
}

Status AddressPool::release(const std::string& container_id) {
  BERTH_ASSIGN(UniqueFd lock, lock_exclusive(lock_path_));
  BERTH_ASSIGN(State state, load());
  if (state.allocations.erase(container_id) == 0) return ok();
  return save(state).context("release address of container \"" + container_id + "\"");
}

Result<std::vector<std::string>> AddressPool::recover(const std::set<std::string>& known_ids) {
  BERTH_ASSIGN(UniqueFd lock, lock_exclusive(lock_path_));
  BERTH_ASSIGN(State state, load());
  std::vector<std::string> released;
  for (auto it = state.allocations.begin(); it != state.allocations.end();) {
    if (known_ids.contains(it->first)) {
      ++it;
    } else {
      released.push_back(it->first);
      it = state.allocations.erase(it);
    }
  }
  if (!released.empty()) BERTH_TRY(save(state).context("release addresses of unknown containers"));
  return released;
}

Result<std::map<std::string, IpAddress>> AddressPool::allocations() const {
  BERTH_ASSIGN(UniqueFd lock, lock_exclusive(lock_path_));
  BERTH_ASSIGN(State state, load());
  return std::move(state.allocations);
}

}  // namespace berth::ipam
