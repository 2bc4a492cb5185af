#include "networking/nft/port_index.h"

#include <gtest/gtest.h>

namespace berth::nft {
namespace {

networking::IpAddress ip(const char* text) { return networking::IpAddress::parse(text).value(); }

PortMapping tcp(uint16_t host_port, const char* container_ip) {
  return PortMapping{Protocol::kTcp, std::nullopt, host_port, std::nullopt, ip(container_ip), 80};
}

TEST(PortIndexTest, ConflictIsTheSameProtocolFamilyPortAndOverlappingHostAddress) {
  PortIndex index;
  PortMapping on_loopback = tcp(8080, "10.88.0.2");
  on_loopback.host_ip = ip("127.0.0.1");
  index.add({"web", on_loopback});
  const PublishedPort* held = index.conflict(tcp(8080, "10.88.0.3"));
  ASSERT_NE(held, nullptr) << "every address includes 127.0.0.1";
  EXPECT_EQ(held->container_id, "web");
  PortMapping other_address = tcp(8080, "10.88.0.3");
  other_address.host_ip = ip("10.0.0.1");
  EXPECT_EQ(index.conflict(other_address), nullptr);
  PortMapping udp = tcp(8080, "10.88.0.3");
  udp.protocol = Protocol::kUdp;
  EXPECT_EQ(index.conflict(udp), nullptr);
  EXPECT_EQ(index.conflict(tcp(8080, "fd00::3")), nullptr) << "IPv6 ports are apart from IPv4 ones";
  EXPECT_EQ(index.conflict(tcp(8081, "10.88.0.3")), nullptr);
}

TEST(PortIndexTest, RemovedPortsAreFreeAndNoLongerTheContainers) {
  PortIndex index;
  index.add({"web", tcp(8080, "10.88.0.2")});
  index.add({"web", tcp(8081, "10.88.0.2")});
  index.add({"api", tcp(9090, "10.88.0.3")});
  EXPECT_EQ(index.mappings_of("web"), (std::vector<PortMapping>{tcp(8080, "10.88.0.2"), tcp(8081, "10.88.0.2")}));
  index.remove(tcp(8080, "10.88.0.2"));
  EXPECT_EQ(index.conflict(tcp(8080, "10.88.0.4")), nullptr);
  EXPECT_EQ(index.mappings_of("web"), (std::vector<PortMapping>{tcp(8081, "10.88.0.2")}));
  EXPECT_EQ(index.size(), 2U);
  index.clear();
  EXPECT_TRUE(index.mappings_of("api").empty());
  EXPECT_EQ(index.conflict(tcp(9090, "10.88.0.4")), nullptr);
}

TEST(PortIndexTest, OneElementHoldsOnePortWhateverItLeadsTo) {
  PortIndex index;
  index.add({"web", tcp(8080, "10.88.0.2")});
  index.add({"api", tcp(8080, "10.88.0.3")});  // the same element (map and key), other data
  EXPECT_EQ(index.size(), 1U);
  EXPECT_TRUE(index.mappings_of("web").empty());
  PortMapping on_loopback = tcp(8080, "10.88.0.2");
  on_loopback.host_ip = ip("127.0.0.1");
  index.add({"web", on_loopback});  // another map: ports4addr
  EXPECT_EQ(index.size(), 2U);
  index.remove(tcp(8080, "10.88.0.9"));
  EXPECT_EQ(index.mappings_of("web"), std::vector<PortMapping>{on_loopback});
}

}  // namespace
}  // namespace berth::nft
