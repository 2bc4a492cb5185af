#include "networking/nft/port_index.h"

#include <utility>

namespace berth::nft {
namespace {

// Erases the one entry of `index` under `key` that points at `element`.
template <class Multimap, class Key, class Element>
void erase_entry(Multimap& index, const Key& key, const Element& element) {
  auto [first, last] = index.equal_range(key);
  for (auto it = first; it != last; ++it) {
    if (it->second == element) {
      index.erase(it);
      return;
    }
  }
}

}  // namespace

PortIndex::PortKey PortIndex::port_key(const PortMapping& mapping) {
  return {mapping.protocol, mapping.container_ip.family(), mapping.host_port};
}

PortIndex::ElementKey PortIndex::element_key(const PortMapping& mapping) {
  return {mapping.protocol, mapping.container_ip.family(), mapping.host_port, mapping.host_ip};
}

void PortIndex::clear() {
  by_element_.clear();
  by_port_.clear();
  by_container_.clear();
}

void PortIndex::add(PublishedPort port) {
  remove(port.mapping);
  const ElementKey element = element_key(port.mapping);
  by_port_.emplace(port_key(port.mapping), element);
  by_container_.emplace(port.container_id, element);
  by_element_.emplace(element, std::move(port));
}

void PortIndex::remove(const PortMapping& mapping) {
  const ElementKey element = element_key(mapping);
  auto it = by_element_.find(element);
  if (it == by_element_.end()) return;
  erase_entry(by_port_, port_key(it->second.mapping), element);
  erase_entry(by_container_, it->second.container_id, element);
  by_element_.erase(it);
}

const PublishedPort* PortIndex::conflict(const PortMapping& mapping) const {
  auto [first, last] = by_port_.equal_range(port_key(mapping));
  for (auto it = first; it != last; ++it) {
    const PublishedPort& candidate = by_element_.at(it->second);
    if (same_host_port(mapping, candidate.mapping)) return &candidate;
  }
  return nullptr;
}

std::vector<PortMapping> PortIndex::mappings_of(const std::string& container_id) const {
  std::vector<PortMapping> out;
  auto [first, last] = by_container_.equal_range(container_id);
  for (auto it = first; it != last; ++it) out.push_back(by_element_.at(it->second).mapping);
  return out;
}

}  // namespace berth::nft
