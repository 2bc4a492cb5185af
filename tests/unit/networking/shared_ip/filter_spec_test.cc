// The shapes of the shared-IP mode's u32 filters: a port block becomes a TCP and a UDP
// redirect on fixed IPv4 offsets; ARP and ICMP are mirrored and let classification go on;
// a port filter is read back to its block, other filters are not mistaken for one.
#include "networking/shared_ip/filter_spec.h"

#include <gtest/gtest.h>
#include <linux/if_ether.h>

#include <vector>

namespace berth::networking::shared_ip {
namespace {

TEST(FilterSpec, APortBlockIsMatchedOnAPlainIpv4HeaderProtocolAndDestinationPort) {
  const FilterSpec spec = port_redirect(kAllottedPortsPriority, L4::kTcp, PortBlock{31000, 0xfff8}, 7);
  EXPECT_EQ(spec.priority, kAllottedPortsPriority);
  EXPECT_EQ(spec.protocol, ETH_P_IP);
  const std::vector<U32Key> expected{
      {0x05000000, 0x0f000000, 0},  // IHL 5: the ports sit right after 20 bytes
      {0x00060000, 0x00ff0000, 8},  // protocol 6 (TCP)
      {31000, 0xfff8, 20},          // destination port, the low half of the ports word
  };
  EXPECT_EQ(spec.keys, expected);
  EXPECT_EQ(spec.action, Mirred::kRedirect);
  EXPECT_EQ(spec.target_ifindex, 7);
  EXPECT_EQ(spec.describe(), "prio 49001 tcp dport 31000/0xfff8 redirect");
}

TEST(FilterSpec, ARangeGivesATcpAndAUdpRedirectPerBlock) {
  const auto specs = port_redirects(kEphemeralPortsPriority, PortRange{31000, 31099}, 3);
  ASSERT_EQ(specs.size(), 12U);  // 6 blocks
  EXPECT_EQ(specs[0].describe(), "prio 49002 tcp dport 31000/0xfff8 redirect");
  EXPECT_EQ(specs[1].describe(), "prio 49002 udp dport 31000/0xfff8 redirect");
  EXPECT_EQ(specs[11].describe(), "prio 49002 udp dport 31096/0xfffc redirect");
}

TEST(FilterSpec, ArpAndIcmpAreMirroredAndContainerTrafficIsRedirectedToTheHost) {
  EXPECT_EQ(arp_mirror(4).describe(), "prio 49004 arp mirror");
  EXPECT_EQ(arp_mirror(4).protocol, ETH_P_ARP);
  EXPECT_EQ(icmp_mirror(4).describe(), "prio 49003 icmp mirror");
  const FilterSpec out = container_egress(2);
  EXPECT_EQ(out.describe(), "prio 1 all redirect");
  EXPECT_EQ(out.target_ifindex, 2);
}

TEST(FilterSpec, APortFilterReadsBackToItsBlockAndOthersDoNot) {
  const auto udp = matched_port_block(port_redirect(kAllottedPortsPriority, L4::kUdp, PortBlock{8080, 0xffff}, 1));
  ASSERT_TRUE(udp.has_value());
  EXPECT_EQ(udp->first, L4::kUdp);
  EXPECT_EQ(udp->second, (PortBlock{8080, 0xffff}));
  EXPECT_FALSE(matched_port_block(icmp_mirror(1)).has_value());
  EXPECT_FALSE(matched_port_block(arp_mirror(1)).has_value());
  FilterSpec source_port = port_redirect(kAllottedPortsPriority, L4::kTcp, PortBlock{80, 0xffff}, 1);
  source_port.keys[2] = U32Key{80U << 16, 0xffff0000, 20};  // a source-port match is someone else's
  EXPECT_FALSE(matched_port_block(source_port).has_value());
}

}  // namespace
}  // namespace berth::networking::shared_ip
