// The nftables rules berth programs, built as libnftnl objects without touching the kernel
// (so they can be unit-tested), and the reader of the per-port DNAT rules that berth wrote
// before the maps (what ensure() turns into map elements when it finds them).
//
// Layout of a table (family inet, so one table serves IPv4 and IPv6):
//   prerouting  nat hook prerouting  -100: fib daddr type local jump ports
//   output      nat hook output      -100: fib daddr type local jump ports
//   ports       regular chain, four fixed rules, one lookup each (port_maps.h):
//                 meta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @ports4addr
//                 meta nfproto ipv4 dnat ip to meta l4proto . th dport map @ports4
//                 (the same for ipv6 with @ports6addr, @ports6); a miss goes on to the next
//   postrouting nat hook postrouting  100: masquerade container egress, hairpin traffic, and
//               DNATed traffic from 127.0.0.0/8 (see nat_table.h on route_localnet)
// Published ports are elements of the maps, commented berth:<id>; the rules never change
// when a port is published, so no publish makes the kernel validate the table again.
#pragma once

#include <libnftnl/rule.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "networking/addr/ip_address.h"
#include "networking/nft/port_mapping.h"
#include "networking/nft/port_maps.h"
#include "networking/nft/tag.h"

namespace berth::nft {

struct RuleDeleter {
  void operator()(nftnl_rule* r) const { nftnl_rule_free(r); }
};
using RulePtr = std::unique_ptr<nftnl_rule, RuleDeleter>;

inline constexpr std::string_view kPreroutingChain = "prerouting";
inline constexpr std::string_view kOutputChain = "output";
inline constexpr std::string_view kPostroutingChain = "postrouting";
inline constexpr std::string_view kPortsChain = "ports";

// The rule of the ports chain that looks the packet up in `map` and DNATs it to the data found.
RulePtr map_lookup_rule(std::string_view table, PortMap map);
// `<l4proto> dport <host port> [daddr <host ip>] dnat to <container ip>:<port>`, tagged with
// the container id: the per-port rule of tables made before the maps. berth no longer writes
// it; tests build it to check that ensure() migrates such a table.
RulePtr legacy_dnat_rule(std::string_view table, std::string_view container_id, const PortMapping& mapping);
// `fib daddr type local jump ports` in `chain` (prerouting or output).
RulePtr jump_to_ports_rule(std::string_view table, std::string_view chain);
// The postrouting rules for the container subnets: egress leaving the subnet, hairpin
// (DNATed traffic from inside the subnet), and DNATed traffic from 127.0.0.0/8.
std::vector<RulePtr> masquerade_rules(std::string_view table, const std::vector<networking::Subnet>& subnets);

// The container id in a rule's berth:<id> comment, if it has one.
std::optional<std::string> tagged_container(const nftnl_rule* rule);
// The mapping a rule built by legacy_dnat_rule() carries; nullopt for any other rule.
std::optional<PortMapping> mapping_of(const nftnl_rule* rule);
// libnftnl's text form ("[ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000006 ] ..."):
// for tests and for error messages.
std::string describe(const nftnl_rule* rule);

}  // namespace berth::nft
