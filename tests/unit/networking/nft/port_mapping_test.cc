#include "networking/nft/port_mapping.h"

#include <gtest/gtest.h>

namespace berth::nft {
namespace {

networking::IpAddress ip(const char* text) { return networking::IpAddress::parse(text).value(); }

PortMapping tcp(uint16_t host_port, const char* container_ip, uint16_t container_port) {
  return PortMapping{Protocol::kTcp, std::nullopt, host_port, std::nullopt, ip(container_ip), container_port};
}

TEST(PortMappingTest, PrintsLikeTheUserWroteIt) {
  EXPECT_EQ(tcp(8080, "10.88.0.2", 80).to_string(), "tcp 0.0.0.0:8080 -> 10.88.0.2:80");
  PortMapping m{Protocol::kUdp, ip("::1"), 5353, 5354, ip("fd00:be7::2"), 53};
  EXPECT_EQ(m.to_string(), "udp [::1]:5353-5354 -> [fd00:be7::2]:53-54");
}

TEST(PortMappingTest, RangeExpandsOneToOne) {
  PortMapping m = tcp(8000, "10.88.0.2", 9000);
  m.host_port_last = 8002;
  ASSERT_TRUE(validate(m).ok());
  auto singles = expand(m);
  ASSERT_EQ(singles.size(), 3U);
  EXPECT_EQ(singles[2].host_port, 8002);
  EXPECT_EQ(singles[2].container_port, 9002);
  EXPECT_FALSE(singles[2].host_port_last.has_value());
}

TEST(PortMappingTest, InvalidMappingsAreRefusedWithTheReason) {
  struct Case {
    PortMapping mapping;
    const char* says;
  };
  PortMapping reversed = tcp(8002, "10.88.0.2", 80);
  reversed.host_port_last = 8000;
  PortMapping past_end = tcp(8000, "10.88.0.2", 65535);
  past_end.host_port_last = 8001;
  PortMapping mixed = tcp(8000, "10.88.0.2", 80);
  mixed.host_ip = ip("::1");
  for (const Case& c : {Case{tcp(0, "10.88.0.2", 80), "host port 0"}, Case{tcp(80, "10.88.0.2", 0), "container port 0"},
                        Case{reversed, "reversed"}, Case{past_end, "past 65535"}, Case{mixed, "different families"}}) {
    auto s = validate(c.mapping);
    ASSERT_FALSE(s.ok()) << c.mapping.to_string();
    EXPECT_NE(s.error().message().find(c.says), std::string::npos) << s.error().message();
  }
}

TEST(PortMappingTest, SameHostPortNeedsProtocolFamilyAndOverlappingAddress) {
  PortMapping any = tcp(8080, "10.88.0.2", 80);
  PortMapping on_lo = any;
  on_lo.host_ip = ip("127.0.0.1");
  PortMapping on_other = any;
  on_other.host_ip = ip("10.0.0.1");
  PortMapping udp = any;
  udp.protocol = Protocol::kUdp;
  PortMapping v6 = tcp(8080, "fd00::2", 80);
  EXPECT_TRUE(same_host_port(any, on_lo)) << "every address includes 127.0.0.1";
  EXPECT_FALSE(same_host_port(on_lo, on_other));
  EXPECT_FALSE(same_host_port(any, udp));
  EXPECT_FALSE(same_host_port(any, v6));
  EXPECT_FALSE(same_host_port(any, tcp(8081, "10.88.0.2", 80)));
}

}  // namespace
}  // namespace berth::nft
