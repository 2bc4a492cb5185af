// The nftables rules berth programs, built as libnftnl objects without touching the kernel
// (so they can be unit-tested), and read back from rules the kernel lists: the container id
// a rule is tagged with (its comment) and the port mapping a DNAT rule carries.
//
// Layout of a table (family inet, so one table serves IPv4 and IPv6):
//   prerouting  nat hook prerouting  -100: fib daddr type local jump ports
//   output      nat hook output      -100: fib daddr type local jump ports
//   ports       regular chain: one DNAT rule per published host port, commented berth:<id>
//   postrouting nat hook postrouting  100: masquerade container egress, hairpin traffic, and
//               DNATed traffic from 127.0.0.0/8 (see nat_table.h on route_localnet)
#pragma once

#include <libnftnl/rule.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "networking/addr/ip_address.h"
#include "networking/nft/port_mapping.h"

namespace berth::nft {

struct RuleDeleter {
  void operator()(nftnl_rule* r) const { nftnl_rule_free(r); }
};
using RulePtr = std::unique_ptr<nftnl_rule, RuleDeleter>;

inline constexpr std::string_view kPreroutingChain = "prerouting";
inline constexpr std::string_view kOutputChain = "output";
inline constexpr std::string_view kPostroutingChain = "postrouting";
inline constexpr std::string_view kPortsChain = "ports";

// The comment that tags a container's rules: "berth:<id>".
std::string rule_tag(std::string_view container_id);
// The longest container id a tag can hold (nft comments are at most 128 bytes with the NUL).
inline constexpr size_t kMaxTaggedIdLength = 121;

// `<l4proto> dport <host port> [daddr <host ip>] dnat to <container ip>:<port>` in the ports
// chain, tagged with the container id. `mapping` is a single port (see expand()).
RulePtr dnat_rule(std::string_view table, std::string_view container_id, const PortMapping& mapping);
// `fib daddr type local jump ports` in `chain` (prerouting or output).
RulePtr jump_to_ports_rule(std::string_view table, std::string_view chain);
// The postrouting rules for the container subnets: egress leaving the subnet, hairpin
// (DNATed traffic from inside the subnet), and DNATed traffic from 127.0.0.0/8.
std::vector<RulePtr> masquerade_rules(std::string_view table, const std::vector<networking::Subnet>& subnets);

// The container id in a rule's berth:<id> comment, if it has one.
std::optional<std::string> tagged_container(const nftnl_rule* rule);
// The mapping a rule built by dnat_rule() carries; nullopt for any other shape of rule.
std::optional<PortMapping> mapping_of(const nftnl_rule* rule);
// libnftnl's text form ("[ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000006 ] ..."):
// for tests and for error messages.
std::string describe(const nftnl_rule* rule);

}  // namespace berth::nft
