#include "networking/nft/port_index.h"

#include <utility>

namespace berth::nft {
namespace {

// Erases the one entry of `index` under `key` that points at `handle`.
template <class Multimap, class Key>
void erase_entry(Multimap& index, const Key& key, uint64_t handle) {
  auto [first, last] = index.equal_range(key);
  for (auto it = first; it != last; ++it) {
    if (it->second == handle) {
      index.erase(it);
      return;
    }
  }
}

}  // namespace

PortIndex::PortKey PortIndex::key_of(const PortMapping& mapping) {
  return {mapping.protocol, mapping.container_ip.family(), mapping.host_port};
}

void PortIndex::clear() {
  by_handle_.clear();
  by_port_.clear();
  by_container_.clear();
}

void PortIndex::add(PublishedPort port) {
  const uint64_t handle = port.handle;
  remove(handle);
  by_port_.emplace(key_of(port.mapping), handle);
  by_container_.emplace(port.container_id, handle);
  by_handle_.emplace(handle, std::move(port));
}

void PortIndex::remove(uint64_t handle) {
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end()) return;
  erase_entry(by_port_, key_of(it->second.mapping), handle);
  erase_entry(by_container_, it->second.container_id, handle);
  by_handle_.erase(it);
}

const PublishedPort* PortIndex::conflict(const PortMapping& mapping) const {
  auto [first, last] = by_port_.equal_range(key_of(mapping));
  for (auto it = first; it != last; ++it) {
    const PublishedPort& candidate = by_handle_.at(it->second);
    if (same_host_port(mapping, candidate.mapping)) return &candidate;
  }
  return nullptr;
}

std::vector<uint64_t> PortIndex::handles_of(const std::string& container_id) const {
  std::vector<uint64_t> out;
  auto [first, last] = by_container_.equal_range(container_id);
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

}  // namespace berth::nft
