// The files bridge mode writes for a container: /etc/hosts naming it on its address, and the
// host's resolv.conf without the loopback resolvers its namespace cannot reach.
#include <gtest/gtest.h>

#include "networking/bridge/bridge_network.h"

namespace berth::networking {
namespace {

TEST(BridgeMode, HostsAndResolvConfForTheContainer) {
  auto ip = IpAddress::parse("10.88.0.5");
  ASSERT_TRUE(ip);
  EXPECT_NE(hosts_file("web", *ip).find("10.88.0.5\tweb\n"), std::string::npos);
  EXPECT_EQ(resolv_conf("search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.1\noptions edns0\n"),
            "search lan\nnameserver 10.0.0.1\noptions edns0\n");
}

}  // namespace
}  // namespace berth::networking
