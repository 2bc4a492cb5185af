#include "networking/shared_ip/filter_spec.h"

#include <linux/if_ether.h>

#include <array>
#include <cstdio>

namespace berth::networking::shared_ip {
namespace {

// Offsets into the IPv4 header (and the L4 header right after a 20-byte one).
constexpr int kVersionWord = 0;   // version, IHL, TOS, total length
constexpr int kProtocolWord = 8;  // TTL, protocol, checksum
constexpr int kPortsWord = 20;    // source port, destination port
constexpr uint32_t kIhlMask = 0x0f000000;
constexpr uint32_t kIhlNoOptions = 0x05000000;
constexpr uint32_t kProtocolMask = 0x00ff0000;
constexpr int kProtocolShift = 16;
constexpr uint8_t kIcmp = 1;

U32Key protocol_key(uint8_t protocol) {
  return U32Key{uint32_t{protocol} << kProtocolShift, kProtocolMask, kProtocolWord};
}

std::string hex(uint32_t v) {
  std::array<char, 16> out{};
  std::snprintf(out.data(), out.size(), "0x%x", v);
  return out.data();
}

std::string describe_match(const FilterSpec& spec) {
  if (auto port = matched_port_block(spec)) {
    return std::string(port->first == L4::kTcp ? "tcp" : "udp") + " dport " + std::to_string(port->second.value) + "/" +
           hex(port->second.mask);
  }
  if (spec.protocol == ETH_P_ARP) return "arp";
  if (spec.protocol == ETH_P_ALL) return "all";
  if (spec.keys.size() == 1 && spec.keys[0] == protocol_key(kIcmp)) return "icmp";
  std::string out = "ethertype " + hex(spec.protocol);
  for (const U32Key& k : spec.keys) out += " " + hex(k.value) + "/" + hex(k.mask) + "@" + std::to_string(k.offset);
  return out;
}

}  // namespace

std::string FilterSpec::describe() const {
  return "prio " + std::to_string(priority) + " " + describe_match(*this) +
         (action == Mirred::kRedirect ? " redirect" : " mirror");
}

FilterSpec port_redirect(uint16_t priority, L4 l4, const PortBlock& block, int veth_index) {
  return FilterSpec{priority,
                    ETH_P_IP,
                    {U32Key{kIhlNoOptions, kIhlMask, kVersionWord}, protocol_key(static_cast<uint8_t>(l4)),
                     U32Key{block.value, block.mask, kPortsWord}},
                    Mirred::kRedirect,
                    veth_index};
}

std::vector<FilterSpec> port_redirects(uint16_t priority, const PortRange& range, int veth_index) {
  std::vector<FilterSpec> specs;
  for (const PortBlock& block : aligned_blocks(range)) {
    specs.push_back(port_redirect(priority, L4::kTcp, block, veth_index));
    specs.push_back(port_redirect(priority, L4::kUdp, block, veth_index));
  }
  return specs;
}

FilterSpec icmp_mirror(int veth_index) {
  return FilterSpec{kIcmpPriority, ETH_P_IP, {protocol_key(kIcmp)}, Mirred::kMirror, veth_index};
}

FilterSpec arp_mirror(int veth_index) {
  // u32 needs a key: one that every packet matches.
  return FilterSpec{kArpPriority, ETH_P_ARP, {U32Key{0, 0, 0}}, Mirred::kMirror, veth_index};
}

FilterSpec container_egress(int host_index) {
  return FilterSpec{kContainerEgressPriority, ETH_P_ALL, {U32Key{0, 0, 0}}, Mirred::kRedirect, host_index};
}

std::optional<std::pair<L4, PortBlock>> matched_port_block(const FilterSpec& spec) {
  if (spec.protocol != ETH_P_IP || spec.keys.size() != 3) return std::nullopt;
  if (spec.keys[0] != U32Key{kIhlNoOptions, kIhlMask, kVersionWord}) return std::nullopt;
  const U32Key& port = spec.keys[2];
  if (port.offset != kPortsWord || (port.mask & 0xffff0000) != 0 || (port.mask & 0xffff) == 0) return std::nullopt;
  for (const L4 l4 : {L4::kTcp, L4::kUdp}) {
    if (spec.keys[1] == protocol_key(static_cast<uint8_t>(l4))) {
      return std::pair{l4, PortBlock{static_cast<uint16_t>(port.value), static_cast<uint16_t>(port.mask)}};
    }
  }
  return std::nullopt;
}

}  // namespace berth::networking::shared_ip
