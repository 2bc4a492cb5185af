// NatTable's in-memory copy of its port maps: the published single ports by map element,
// found by host port (for conflicts) and by container (for removal) without walking them all.
// A plain container: whether it still matches the kernel is NatTable's business (it ties the
// index to the ruleset generation it was read at).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "networking/nft/port_mapping.h"

namespace berth::nft {

// One published host port as found in the table.
struct PublishedPort {
  std::string container_id;
  PortMapping mapping;  // a single port
  friend bool operator==(const PublishedPort&, const PublishedPort&) = default;
};

class PortIndex {
 public:
  void clear();
  // Records `port`, replacing the port held by the same map element (same protocol, family,
  // host address and host port).
  void add(PublishedPort port);
  // Forgets the port held by the element of the single-port `mapping`, if any.
  void remove(const PortMapping& mapping);

  // A published port that wants the same host port as the single-port `mapping`
  // (same_host_port()), or nullptr.
  [[nodiscard]] const PublishedPort* conflict(const PortMapping& mapping) const;
  // The container's ports.
  [[nodiscard]] std::vector<PortMapping> mappings_of(const std::string& container_id) const;
  [[nodiscard]] size_t size() const { return by_element_.size(); }

 private:
  // (protocol, family, host port): the candidates same_host_port() then decides among.
  using PortKey = std::tuple<Protocol, networking::Family, uint16_t>;
  // What identifies a map element: the map (family, host address or not) and its key.
  using ElementKey = std::tuple<Protocol, networking::Family, uint16_t, std::optional<networking::IpAddress>>;
  static PortKey port_key(const PortMapping& mapping);
  static ElementKey element_key(const PortMapping& mapping);

  std::map<ElementKey, PublishedPort> by_element_;
  std::multimap<PortKey, ElementKey> by_port_;
  std::multimap<std::string, ElementKey> by_container_;
};

}  // namespace berth::nft
