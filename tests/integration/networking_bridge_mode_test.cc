// Bridge mode end to end, inside a private network namespace standing for the host (so the
// bridge, forwarding and the nftables table are the test's own): a container's namespace
// gets eth0 with the pool's address and a default route; the host reaches it, it reaches the
// gateway, its published port answers on the host's loopback; detach leaves no link, rule or
// address allocation. Needs root.
#include <string>

#include "networking/bridge/bridge_network.h"
#include "networking/netlink/links.h"
#include "networking/netlink/rtnl_socket.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/networking.h"

namespace berth::integration {
namespace {

using networking::BridgeConfig;
using networking::BridgeNetwork;
using networking::ContainerAttachment;

nft::PortMapping tcp(uint16_t host_port, uint16_t container_port) {
  nft::PortMapping m;
  m.host_port = host_port;
  m.container_port = container_port;
  return m;
}

TEST(BridgeMode, ContainerIsAddressedRoutedPublishedAndDetachedCleanly) {
  skip_unless_root();
  NetnsStateDir state;
  ASSERT_TRUE(state.ok());
  auto c1 = state.store().create("berth-c1");
  auto c2 = state.store().create("berth-c2");
  ASSERT_TRUE(c1 && c2);
  auto ran = networking::run_in_new_netns([&] {
    auto lo = networking::RtnlSocket::open();
    ASSERT_TRUE(lo && networking::set_link_up(*lo, "lo"));
    const BridgeConfig config{berth_name("b"), "10.251.3.0/24", 1400, state.dir() + "/net", berth_name("t"), {}};
    auto net = BridgeNetwork::open(config);
    ASSERT_TRUE(net) << net.error().message();

    auto attached = net->attach(ContainerAttachment{"berth-it-c1", &*c1, "eth0", {}, {tcp(18082, 80)}});
    ASSERT_TRUE(attached) << attached.error().message();
    EXPECT_EQ(attached->address.to_string(), "10.251.3.2/24");
    EXPECT_EQ(attached->gateway.to_string(), "10.251.3.1");
    EchoServer server(c1->fd(), 80);
    ASSERT_TRUE(server.ok()) << server.error();
    auto direct = exchange(-1, SocketKind::kTcp, "10.251.3.2", 80, "direct");
    ASSERT_TRUE(direct) << direct.error().message();
    EXPECT_EQ(*direct, "pong direct");
    auto published = exchange(-1, SocketKind::kTcp, "127.0.0.1", 18082, "published");
    ASSERT_TRUE(published) << published.error().message();
    EXPECT_EQ(*published, "pong published");
    auto listener = listen_tcp(attached->gateway);
    ASSERT_TRUE(listener) << listener.error().message();
    auto out = connect_from(*c1, attached->gateway, listener->port);
    EXPECT_TRUE(out) << "the container reaches its gateway: " << out.error().message();

    // A second container: the next address; asking for the first one's is refused.
    auto taken = net->attach(ContainerAttachment{"berth-it-c2", &*c2, "eth0", attached->address.address(), {}});
    ASSERT_FALSE(taken);
    EXPECT_NE(taken.error().message().find("berth-it-c1"), std::string::npos) << taken.error().message();
    auto second = net->attach(ContainerAttachment{"berth-it-c2", &*c2, "eth0", {}, {}});
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_EQ(second->address.to_string(), "10.251.3.3/24");
    auto neighbour = exchange(c2->fd(), SocketKind::kTcp, "10.251.3.2", 80, "neighbour");
    ASSERT_TRUE(neighbour) << neighbour.error().message();
    EXPECT_EQ(*neighbour, "pong neighbour");

    ASSERT_TRUE(net->detach("berth-it-c1"));
    ASSERT_TRUE(net->detach("berth-it-c1")) << "a second detach is fine";
    EXPECT_FALSE(networking::find_link(*lo, BridgeNetwork::host_veth_name("berth-it-c1")));
    EXPECT_FALSE(exchange(-1, SocketKind::kTcp, "127.0.0.1", 18082, "gone")) << "the published port is gone";
    auto reused = net->attach(ContainerAttachment{"berth-it-c3", &*c1, "eth0", attached->address.address(), {}});
    EXPECT_TRUE(reused) << "a released address can be asked for again: " << reused.error().message();
    ASSERT_TRUE(net->detach("berth-it-c3"));
    ASSERT_TRUE(net->detach("berth-it-c2"));
  });
  ASSERT_TRUE(ran) << ran.error().message();
}

TEST(BridgeMode, TwoHundredAttachDetachCyclesLeaveNoLinkRuleAllocationOrFd) {
  skip_unless_root();
  NetnsStateDir state;
  ASSERT_TRUE(state.ok());
  auto c = state.store().create("berth-cycle");
  ASSERT_TRUE(c);
  auto ran = networking::run_in_new_netns([&] {
    auto nl = networking::RtnlSocket::open();
    ASSERT_TRUE(nl && networking::set_link_up(*nl, "lo"));
    const BridgeConfig config{berth_name("b"), "10.251.4.0/24", 1500, state.dir() + "/net", berth_name("t"), {}};
    auto net = BridgeNetwork::open(config);
    ASSERT_TRUE(net) << net.error().message();
    auto links_before = networking::list_links(*nl);
    ASSERT_TRUE(links_before);
    const int fds_before = open_fd_count();
    for (int i = 0; i < 200; ++i) {
      const std::string id = "berth-it-cycle-" + std::to_string(i);
      auto a = net->attach(ContainerAttachment{id, &*c, "eth0", {}, {tcp(18090, 80)}});
      ASSERT_TRUE(a) << "cycle " << i << ": " << a.error().message();
      ASSERT_TRUE(net->detach(id)) << "cycle " << i;
    }
    auto links_after = networking::list_links(*nl);
    ASSERT_TRUE(links_after);
    EXPECT_EQ(links_after->size(), links_before->size()) << "a veth was left behind";
    EXPECT_EQ(open_fd_count(), fds_before);
    auto table = nft::NatTable::open(config.nft_table);
    ASSERT_TRUE(table);
    auto rules = table->published();
    ASSERT_TRUE(rules) << rules.error().message();
    EXPECT_TRUE(rules->empty()) << rules->size() << " published ports left";
    auto pool = ipam::AddressPool::open(config.state_dir + "/ipam", *networking::Subnet::parse(config.subnet));
    ASSERT_TRUE(pool);
    EXPECT_TRUE(pool->allocations()->empty()) << "addresses still allocated";
  });
  ASSERT_TRUE(ran) << ran.error().message();
}

}  // namespace
}  // namespace berth::integration
