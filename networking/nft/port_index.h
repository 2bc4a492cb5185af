// NatTable's in-memory copy of its ports chain: the published single ports by rule handle,
// found by host port (for conflicts) and by container (for removal) without walking them all.
// A plain container: whether it still matches the kernel is NatTable's business (it ties the
// index to the ruleset generation it was read at).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "networking/nft/port_mapping.h"

namespace berth::nft {

// One published host port as found in the table.
struct PublishedPort {
  std::string container_id;
  PortMapping mapping;  // a single port
  uint64_t handle = 0;  // the rule's handle in the ports chain
};

class PortIndex {
 public:
  void clear();
  void add(PublishedPort port);
  void remove(uint64_t handle);

  // A published port that wants the same host port as the single-port `mapping`
  // (same_host_port()), or nullptr.
  [[nodiscard]] const PublishedPort* conflict(const PortMapping& mapping) const;
  // The rule handles of the container's ports.
  [[nodiscard]] std::vector<uint64_t> handles_of(const std::string& container_id) const;
  [[nodiscard]] size_t size() const { return by_handle_.size(); }

 private:
  // (protocol, family, host port): the candidates same_host_port() then decides among.
  using PortKey = std::tuple<Protocol, networking::Family, uint16_t>;
  static PortKey key_of(const PortMapping& mapping);

  std::map<uint64_t, PublishedPort> by_handle_;
  std::multimap<PortKey, uint64_t> by_port_;
  std::multimap<std::string, uint64_t> by_container_;
};

}  // namespace berth::nft
