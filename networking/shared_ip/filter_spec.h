// The traffic-control filters of the shared-IP mode as plain values: which u32 keys match
// what, and where the mirred action sends it. tc_filters.h installs and reads them back; the
// shapes are decided here, where a unit test can see them without a kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "networking/shared_ip/port_blocks.h"

namespace berth::networking::shared_ip {

// Priorities of berth's filters on the host interface's ingress, one per purpose, so that
// listing tells allotted ports from ephemeral ones and never mistakes another tool's filter
// for ours. High numbers: other filters an operator has there run first.
constexpr uint16_t kAllottedPortsPriority = 49001;
constexpr uint16_t kEphemeralPortsPriority = 49002;
constexpr uint16_t kIcmpPriority = 49003;
constexpr uint16_t kArpPriority = 49004;
// The one filter on a container's host-side veth.
constexpr uint16_t kContainerEgressPriority = 1;

enum class Mirred : uint8_t {
  kRedirect,  // the packet goes to the target only (egress redirect, stolen)
  kMirror,    // a copy goes to the target; classification goes on (continue)
};

enum class L4 : uint8_t { kTcp = 6, kUdp = 17 };

// One 32-bit u32 key: the word at `offset` bytes past the network header, masked, equals
// `value`. Host byte order here; tc_filters.cc turns it to network order.
struct U32Key {
  uint32_t value = 0;
  uint32_t mask = 0;
  int offset = 0;
  friend bool operator==(const U32Key&, const U32Key&) = default;
};

struct FilterSpec {
  uint16_t priority = 0;
  uint16_t protocol = 0;  // ETH_P_IP, ETH_P_ARP, ETH_P_ALL (host byte order)
  std::vector<U32Key> keys;
  Mirred action = Mirred::kRedirect;
  int target_ifindex = 0;

  // "prio 49001 tcp dport 31000/0xfff8 redirect" for messages; the caller names the links.
  [[nodiscard]] std::string describe() const;
  friend bool operator==(const FilterSpec&, const FilterSpec&) = default;
};

// Redirects of IPv4 `l4` packets whose destination port is in `block` to `veth_index`. The
// port is read at a fixed offset, so packets with IP options (IHL above 5) never match and
// go to the host's stack, as do non-first fragments.
FilterSpec port_redirect(uint16_t priority, L4 l4, const PortBlock& block, int veth_index);
// port_redirect for TCP and UDP over every aligned block of `range`.
std::vector<FilterSpec> port_redirects(uint16_t priority, const PortRange& range, int veth_index);
// A copy of every IPv4 ICMP packet to `veth_index` (errors and echo replies for the
// container's own connections); the host's stack still gets it.
FilterSpec icmp_mirror(int veth_index);
// A copy of every ARP packet to `veth_index`: the container learns its neighbours.
FilterSpec arp_mirror(int veth_index);
// On a container's host-side veth: everything it sends leaves by the host interface.
FilterSpec container_egress(int host_index);

// The destination-port block a filter made by port_redirect matches, and for which
// protocol; nullopt for other filters.
std::optional<std::pair<L4, PortBlock>> matched_port_block(const FilterSpec& spec);

}  // namespace berth::networking::shared_ip
