#include "networking/nft/rule_builder.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::nft {
namespace {

networking::IpAddress ip(const char* text) { return networking::IpAddress::parse(text).value(); }

// Whether `text` holds `parts` in this order.
::testing::AssertionResult has_in_order(const std::string& text, std::initializer_list<std::string_view> parts) {
  size_t at = 0;
  for (std::string_view part : parts) {
    size_t found = text.find(part, at);
    if (found == std::string::npos) {
      return ::testing::AssertionFailure() << "\"" << part << "\" missing (after offset " << at << ") in:\n" << text;
    }
    at = found + part.size();
  }
  return ::testing::AssertionSuccess();
}

TEST(RuleBuilderTest, LookupInAnIpv4MapLoadsTheKeyIntoWholeRegistersAndDnatsToTheData) {
  // Registers 8.. are the 4-byte ones that concatenations use.
  EXPECT_TRUE(
      has_in_order(describe(map_lookup_rule("berth", PortMap::kPorts4Addr).get()),
                   {"inet berth ports", "[ meta load nfproto => reg 1 ]", "[ cmp eq reg 1 0x00000002 ]",
                    "[ payload load 4b @ network header + 16 => reg 8 ]", "[ meta load l4proto => reg 9 ]",
                    "[ payload load 2b @ transport header + 2 => reg 10 ]", "[ lookup reg 8 set ports4addr dreg 8 ]",
                    "[ nat dnat ip addr_min reg 8 proto_min reg 9 ]"}));
  EXPECT_TRUE(has_in_order(describe(map_lookup_rule("berth", PortMap::kPorts4).get()),
                           {"[ meta load l4proto => reg 8 ]", "[ payload load 2b @ transport header + 2 => reg 9 ]",
                            "[ lookup reg 8 set ports4 dreg 8 ]", "[ nat dnat ip addr_min reg 8 proto_min reg 9 ]"}));
}

TEST(RuleBuilderTest, LookupInAnIpv6MapTakesFourRegistersPerAddress) {
  EXPECT_TRUE(
      has_in_order(describe(map_lookup_rule("berth", PortMap::kPorts6Addr).get()),
                   {"[ cmp eq reg 1 0x0000000a ]", "[ payload load 16b @ network header + 24 => reg 8 ]",
                    "[ meta load l4proto => reg 12 ]", "[ payload load 2b @ transport header + 2 => reg 13 ]",
                    "[ lookup reg 8 set ports6addr dreg 8 ]", "[ nat dnat ip6 addr_min reg 8 proto_min reg 12 ]"}));
  EXPECT_TRUE(has_in_order(describe(map_lookup_rule("berth", PortMap::kPorts6).get()),
                           {"[ meta load l4proto => reg 8 ]", "[ lookup reg 8 set ports6 dreg 8 ]",
                            "[ nat dnat ip6 addr_min reg 8 proto_min reg 12 ]"}));
}

TEST(RuleBuilderTest, TcpMappingMatchesPortAndDnatsToContainer) {
  PortMapping m{Protocol::kTcp, std::nullopt, 8080, std::nullopt, ip("10.88.0.2"), 80};
  RulePtr rule = legacy_dnat_rule("berth-t1", "web", m);
  // Ports and addresses in network order, printed as little-endian 32-bit words.
  EXPECT_TRUE(has_in_order(describe(rule.get()), {"inet berth-t1 ports", "[ meta load nfproto => reg 1 ]",
                                                  "[ cmp eq reg 1 0x00000002 ]",  // NFPROTO_IPV4
                                                  "[ meta load l4proto => reg 1 ]",
                                                  "[ cmp eq reg 1 0x00000006 ]",  // IPPROTO_TCP
                                                  "[ payload load 2b @ transport header + 2 => reg 1 ]",
                                                  "[ cmp eq reg 1 0x0000901f ]",  // 8080
                                                  "[ immediate reg 1 0x0200580a ]",
                                                  "[ immediate reg 2 0x00005000 ]",  // 80
                                                  "[ nat dnat ip addr_min reg 1 proto_min reg 2 ]"}));
  EXPECT_EQ(describe(rule.get()).find("network header"), std::string::npos) << "no host address: any address";
}

TEST(RuleBuilderTest, UdpMappingOnHostAddressMatchesDestination) {
  PortMapping m{Protocol::kUdp, ip("fd00::1"), 53, std::nullopt, ip("fd00:be7::2"), 5353};
  std::string text = describe(legacy_dnat_rule("berth-t1", "dns", m).get());
  EXPECT_TRUE(has_in_order(text, {"[ cmp eq reg 1 0x0000000a ]",  // NFPROTO_IPV6
                                  "[ cmp eq reg 1 0x00000011 ]",  // IPPROTO_UDP
                                  "[ payload load 16b @ network header + 24 => reg 1 ]",
                                  "[ payload load 2b @ transport header + 2 => reg 1 ]",
                                  "[ cmp eq reg 1 0x00003500 ]",  // 53
                                  "[ nat dnat ip6 addr_min reg 1 proto_min reg 2 ]"}));
}

TEST(RuleBuilderTest, RuleIsTaggedWithTheContainerId) {
  PortMapping m{Protocol::kTcp, std::nullopt, 8080, std::nullopt, ip("10.88.0.2"), 80};
  RulePtr rule = legacy_dnat_rule("berth", "0123abcd", m);
  EXPECT_EQ(tagged_container(rule.get()), "0123abcd");
  EXPECT_FALSE(tagged_container(jump_to_ports_rule("berth", kOutputChain).get()).has_value());
}

TEST(RuleBuilderTest, MappingReadsBackFromItsRule) {
  for (const PortMapping& m : {PortMapping{Protocol::kTcp, std::nullopt, 8080, std::nullopt, ip("10.88.0.2"), 80},
                               PortMapping{Protocol::kUdp, ip("127.0.0.1"), 53, std::nullopt, ip("10.88.0.9"), 5353},
                               PortMapping{Protocol::kTcp, ip("::1"), 443, std::nullopt, ip("fd00:be7::2"), 8443}}) {
    auto back = mapping_of(legacy_dnat_rule("berth", "c", m).get());
    ASSERT_TRUE(back.has_value()) << m.to_string();
    EXPECT_EQ(*back, m) << back->to_string();
  }
  EXPECT_FALSE(mapping_of(jump_to_ports_rule("berth", kPreroutingChain).get()).has_value())
      << "a rule of another shape is not a mapping";
}

TEST(RuleBuilderTest, PreroutingJumpsOnlyForLocalDestinations) {
  EXPECT_TRUE(has_in_order(describe(jump_to_ports_rule("berth", kPreroutingChain).get()),
                           {"inet berth prerouting", "[ fib daddr type => reg 1 ]",
                            "[ cmp eq reg 1 0x00000002 ]",  // RTN_LOCAL
                            "[ immediate reg 0 jump -> ports ]"}));
}

TEST(RuleBuilderTest, MasqueradeCoversEgressHairpinAndLoopback) {
  auto rules = masquerade_rules("berth", {networking::Subnet::parse("10.88.0.0/16").value()});
  ASSERT_EQ(rules.size(), 3U);
  EXPECT_TRUE(
      has_in_order(describe(rules[0].get()),
                   {"[ payload load 4b @ network header + 12 => reg 1 ]",
                    "[ bitwise reg 1 = ( reg 1 & 0x0000ffff ) ^ 0x00000000 ]", "[ cmp eq reg 1 0x0000580a ]",
                    "[ payload load 4b @ network header + 16 => reg 1 ]", "[ cmp neq reg 1 0x0000580a ]", "[ masq ]"}));
  EXPECT_TRUE(
      has_in_order(describe(rules[1].get()), {"[ cmp eq reg 1 0x0000580a ]", "[ ct load status => reg 1 ]",
                                              "[ bitwise reg 1 = ( reg 1 & 0x00000020 ) ^ 0x00000000 ]",  // IPS_DST_NAT
                                              "[ cmp neq reg 1 0x00000000 ]", "[ masq ]"}));
  EXPECT_TRUE(has_in_order(describe(rules[2].get()),
                           {"[ bitwise reg 1 = ( reg 1 & 0x000000ff ) ^ 0x00000000 ]", "[ cmp eq reg 1 0x0000007f ]",
                            "[ ct load status => reg 1 ]", "[ masq ]"}));
}

}  // namespace
}  // namespace berth::nft
