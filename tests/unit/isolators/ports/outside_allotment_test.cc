// Which listeners the ports isolator reports and the sentence it reports them in: ports in the
// allotment are left out, a port listened on over IPv4 and IPv6 is named once, and the
// message names the container, each port with its transport, and the allotment.
#include "isolators/ports/outside_allotment.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <vector>

namespace berth::isolators::ports {
namespace {

Listener tcp(uint16_t port, int family = AF_INET) { return Listener{Transport::kTcp, family, port, port + 1000U}; }
Listener udp(uint16_t port, int family = AF_INET) { return Listener{Transport::kUdp, family, port, port + 2000U}; }

TEST(PortsOutsideAllotment, ListenersInsideTheAllotmentAreNotReported) {
  auto outside = outside_allotment({tcp(9000), udp(9009), tcp(8080)}, {{9000, 9009}});
  ASSERT_EQ(outside.size(), 1U);
  EXPECT_EQ(outside[0], tcp(8080));
  EXPECT_TRUE(outside_allotment({tcp(9000), udp(9001)}, {{9000, 9009}}).empty());
}

TEST(PortsOutsideAllotment, MessageNamesPortsTransportsAndAllotment) {
  const std::vector<PortRange> allotted{{9000, 9009}};
  auto outside = outside_allotment({udp(53), tcp(8080), tcp(9005)}, allotted);
  EXPECT_EQ(describe_outside_allotment("web", outside, allotted),
            "container \"web\" listens on 53/udp, 8080/tcp outside its allotted ports 9000-9009");
}

TEST(PortsOutsideAllotment, APortOnIpv4AndIpv6IsNamedOncePerTransport) {
  const std::vector<PortRange> allotted{{9000, 9009}, {31000, 31000}};
  auto outside = outside_allotment({tcp(8080, AF_INET6), udp(8080), tcp(8080, AF_INET)}, allotted);
  EXPECT_EQ(describe_outside_allotment("c1", outside, allotted),
            "container \"c1\" listens on 8080/tcp, 8080/udp outside its allotted ports 9000-9009,31000");
}

TEST(PortsOutsideAllotment, NoAllotmentIsNamedNone) {
  auto outside = outside_allotment({tcp(80)}, {});
  EXPECT_EQ(describe_outside_allotment("c1", outside, {}),
            "container \"c1\" listens on 80/tcp outside its allotted ports none");
}

TEST(PortsOutsideAllotment, ListeningPortsAreSortedAndUnique) {
  EXPECT_EQ(listening_ports({tcp(9000), udp(53), tcp(9000, AF_INET6), udp(9000)}), (std::vector<uint16_t>{53, 9000}));
  EXPECT_TRUE(listening_ports({}).empty());
}

}  // namespace
}  // namespace berth::isolators::ports
