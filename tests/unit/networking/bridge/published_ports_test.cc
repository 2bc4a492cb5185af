// Which port rules a container's published ports become on a dual-stack bridge network.
#include "networking/bridge/published_ports.h"

#include <gtest/gtest.h>

namespace berth::networking {
namespace {

nft::PortMapping port(uint16_t host_port, std::optional<IpAddress> host_ip = {}) {
  nft::PortMapping m;
  m.host_ip = host_ip;
  m.host_port = host_port;
  m.container_port = 80;
  return m;
}

const IpAddress kV4 = *IpAddress::parse("10.88.0.2");
const IpAddress kV6 = *IpAddress::parse("fd00:be7::2");

TEST(BridgePublishedPorts, PortOnEveryAddressIsForwardedInBothFamiliesOfADualStackContainer) {
  auto rules = port_rules({port(8080)}, {kV4, kV6});
  ASSERT_TRUE(rules) << rules.error().message();
  ASSERT_EQ(rules->size(), 2U);
  EXPECT_EQ((*rules)[0].to_string(), "tcp 0.0.0.0:8080 -> 10.88.0.2:80");
  EXPECT_EQ((*rules)[1].to_string(), "tcp [::]:8080 -> [fd00:be7::2]:80");
}

TEST(BridgePublishedPorts, PortOnEveryAddressOfAnIpv4OnlyContainerIsIpv4Only) {
  auto rules = port_rules({port(8080)}, {kV4});
  ASSERT_TRUE(rules) << rules.error().message();
  ASSERT_EQ(rules->size(), 1U);
  EXPECT_EQ((*rules)[0].container_ip, kV4);
}

TEST(BridgePublishedPorts, PortOnAHostAddressStaysInItsFamily) {
  auto rules = port_rules({port(8080, *IpAddress::parse("::1")), port(53, *IpAddress::parse("127.0.0.1"))}, {kV4, kV6});
  ASSERT_TRUE(rules) << rules.error().message();
  ASSERT_EQ(rules->size(), 2U);
  EXPECT_EQ((*rules)[0].container_ip, kV6);
  EXPECT_EQ((*rules)[1].container_ip, kV4);
}

TEST(BridgePublishedPorts, Ipv6HostAddressForAnIpv4OnlyContainerIsRefused) {
  auto rules = port_rules({port(8080, *IpAddress::parse("fd00::1"))}, {kV4});
  ASSERT_FALSE(rules);
  EXPECT_NE(rules.error().message().find("no IPv6 address"), std::string::npos) << rules.error().message();
}

}  // namespace
}  // namespace berth::networking
