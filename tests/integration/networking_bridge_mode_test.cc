// Bridge mode end to end, inside a private network namespace standing for the host (so the
// bridge, forwarding and the nftables table are the test's own): a container's namespace
// gets eth0 with the pool's address and a default route; the host reaches it, it reaches the
// gateway, its published port answers on the host's loopback; detach leaves no link, rule or
// address allocation. Dual stack: the same over IPv6 as well, published ports (TCP and UDP)
// reachable from a second namespace standing for another host. Needs root.
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "common/file.h"
#include "networking/bridge/bridge_network.h"
#include "networking/bridge/container_files.h"
#include "networking/netlink/addresses.h"
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

nft::PortMapping udp(uint16_t host_port, uint16_t container_port) {
  nft::PortMapping m = tcp(host_port, container_port);
  m.protocol = nft::Protocol::kUdp;
  return m;
}

// What is left of a bridge network's containers: links on the bridge, published ports, and
// address allocations in each pool.
void expect_nothing_attached(networking::RtnlSocket& nl, const BridgeConfig& config) {
  auto bridge = networking::find_link(nl, config.bridge);
  ASSERT_TRUE(bridge) << bridge.error().message();
  auto links = networking::list_links(nl);
  ASSERT_TRUE(links);
  for (const auto& l : *links) EXPECT_NE(l.master, bridge->index) << l.name << " is still a port of the bridge";
  auto table = nft::NatTable::open(config.nft_table);
  ASSERT_TRUE(table);
  auto rules = table->published();
  ASSERT_TRUE(rules) << rules.error().message();
  EXPECT_TRUE(rules->empty()) << rules->size() << " published ports left";
  for (const auto& subnet : {config.subnet, config.subnet6}) {
    if (subnet.empty()) continue;
    auto pool = ipam::AddressPool::open(config.state_dir + "/ipam", *networking::Subnet::parse(subnet));
    ASSERT_TRUE(pool);
    EXPECT_TRUE(pool->allocations()->empty()) << "addresses still allocated in " << subnet;
  }
}

// What a test body gets: a state dir, two container namespaces, and a netlink socket in the
// private namespace standing for the host (its lo up), on whose thread the body runs.
struct PrivateHost {
  std::string state_dir;
  const networking::Netns& c1;
  const networking::Netns& c2;
  networking::RtnlSocket& nl;
};

void on_private_host(const std::function<void(PrivateHost&)>& body) {
  NetnsStateDir state;
  ASSERT_TRUE(state.ok());
  auto c1 = state.store().create("berth-c1");
  auto c2 = state.store().create("berth-c2");
  ASSERT_TRUE(c1 && c2);
  auto ran = networking::run_in_new_netns([&] {
    auto nl = networking::RtnlSocket::open();
    ASSERT_TRUE(nl && networking::set_link_up(*nl, "lo"));
    PrivateHost host{state.dir() + "/net", *c1, *c2, *nl};
    body(host);
  });
  ASSERT_TRUE(ran) << ran.error().message();
}

TEST(BridgeMode, ContainerIsAddressedRoutedPublishedAndDetachedCleanly) {
  skip_unless_root();
  on_private_host([](PrivateHost& h) {
    const BridgeConfig config{.bridge = berth_name("b"),
                              .subnet = "10.251.3.0/24",
                              .mtu = 1400,
                              .state_dir = h.state_dir,
                              .nft_table = berth_name("t")};
    auto net = BridgeNetwork::open(config);
    ASSERT_TRUE(net) << net.error().message();

    auto attached = net->attach(ContainerAttachment{"berth-it-c1", &h.c1, "eth0", {}, {tcp(18082, 80)}});
    ASSERT_TRUE(attached) << attached.error().message();
    EXPECT_EQ(attached->address.to_string(), "10.251.3.2/24");
    EXPECT_EQ(attached->gateway.to_string(), "10.251.3.1");
    EchoServer server(h.c1.fd(), 80);
    ASSERT_TRUE(server.ok()) << server.error();
    auto direct = exchange(-1, SocketKind::kTcp, "10.251.3.2", 80, "direct");
    ASSERT_TRUE(direct) << direct.error().message();
    EXPECT_EQ(*direct, "pong direct");
    auto published = exchange(-1, SocketKind::kTcp, "127.0.0.1", 18082, "published");
    ASSERT_TRUE(published) << published.error().message();
    EXPECT_EQ(*published, "pong published");
    auto listener = listen_tcp(attached->gateway);
    ASSERT_TRUE(listener) << listener.error().message();
    auto out = connect_from(h.c1, attached->gateway, listener->port);
    EXPECT_TRUE(out) << "the container reaches its gateway: " << out.error().message();

    // A second container: the next address; asking for the first one's is refused.
    auto taken = net->attach(ContainerAttachment{"berth-it-c2", &h.c2, "eth0", attached->address.address(), {}});
    ASSERT_FALSE(taken);
    EXPECT_NE(taken.error().message().find("berth-it-c1"), std::string::npos) << taken.error().message();
    auto second = net->attach(ContainerAttachment{"berth-it-c2", &h.c2, "eth0", {}, {}});
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_EQ(second->address.to_string(), "10.251.3.3/24");
    auto neighbour = exchange(h.c2.fd(), SocketKind::kTcp, "10.251.3.2", 80, "neighbour");
    ASSERT_TRUE(neighbour) << neighbour.error().message();
    EXPECT_EQ(*neighbour, "pong neighbour");

    ASSERT_TRUE(net->detach("berth-it-c1"));
    ASSERT_TRUE(net->detach("berth-it-c1")) << "a second detach is fine";
    EXPECT_FALSE(networking::find_link(h.nl, BridgeNetwork::host_veth_name("berth-it-c1")));
    EXPECT_FALSE(exchange(-1, SocketKind::kTcp, "127.0.0.1", 18082, "gone")) << "the published port is gone";
    auto reused = net->attach(ContainerAttachment{"berth-it-c3", &h.c1, "eth0", attached->address.address(), {}});
    EXPECT_TRUE(reused) << "a released address can be asked for again: " << reused.error().message();
    ASSERT_TRUE(net->detach("berth-it-c3"));
    ASSERT_TRUE(net->detach("berth-it-c2"));
  });
}

TEST(BridgeMode, DualStackContainerIsReachableOverIpv6AndPublishedInBothFamilies) {
  skip_unless_root();
  skip_unless_ipv6();
  on_private_host([](PrivateHost& h) {
    const BridgeConfig config{.bridge = berth_name("b"),
                              .subnet = "10.251.5.0/24",
                              .subnet6 = "fd00:be7:5::/64",
                              .state_dir = h.state_dir,
                              .nft_table = berth_name("t")};
    auto net = BridgeNetwork::open(config);
    ASSERT_TRUE(net) << net.error().message();
    // Another host on the (private) host's network: 10.251.6.2 and fd00:be7:6::2.
    VethNamespace remote(berth_name("r"), berth_name("o"), "10.251.6.1/24", "10.251.6.2/24");
    ASSERT_TRUE(remote.ok()) << remote.error();
    ASSERT_TRUE(remote.add_ipv6("fd00:be7:6::1/64", "fd00:be7:6::2/64")) << remote.error();

    auto first = net->attach(ContainerAttachment{"berth-it-c1", &h.c1, "eth0", {}, {tcp(18085, 80), udp(18086, 80)}});
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ(first->address.to_string(), "10.251.5.2/24");
    ASSERT_TRUE(first->address6 && first->gateway6);
    EXPECT_EQ(first->address6->to_string(), "fd00:be7:5::2/64");
    EXPECT_EQ(first->gateway6->to_string(), "fd00:be7:5::1");
    const std::string hosts = networking::hosts_file("web", first->addresses());
    EXPECT_NE(hosts.find("\n10.251.5.2\tweb\nfd00:be7:5::2\tweb\n"), std::string::npos) << hosts;
    EchoServer server(h.c1.fd(), 80);
    ASSERT_TRUE(server.ok()) << server.error();

    auto listener = listen_tcp(*first->gateway6);
    ASSERT_TRUE(listener) << listener.error().message();
    auto out = connect_from(h.c1, *first->gateway6, listener->port);
    EXPECT_TRUE(out) << "the container reaches its IPv6 gateway: " << out.error().message();

    auto second = net->attach(ContainerAttachment{"berth-it-c2", &h.c2, "eth0", {}, {}});
    ASSERT_TRUE(second) << second.error().message();
    ASSERT_TRUE(second->address6);
    EXPECT_EQ(second->address6->to_string(), "fd00:be7:5::3/64");
    auto neighbour = exchange(h.c2.fd(), SocketKind::kTcp, "fd00:be7:5::2", 80, "neighbour6");
    ASSERT_TRUE(neighbour) << neighbour.error().message();
    EXPECT_EQ(*neighbour, "pong neighbour6");

    // The published ports, from the other host in both families and from the host's loopback.
    const struct {
      int netns_fd;
      SocketKind kind;
      const char* address;
      uint16_t port;
      const char* message;
    } tries[] = {
        {remote.fd(), SocketKind::kTcp, "fd00:be7:6::1", 18085, "remote tcp6"},
        {remote.fd(), SocketKind::kTcp, "10.251.6.1", 18085, "remote tcp4"},
        {remote.fd(), SocketKind::kUdp, "fd00:be7:6::1", 18086, "remote udp6"},
        {remote.fd(), SocketKind::kUdp, "10.251.6.1", 18086, "remote udp4"},
        {-1, SocketKind::kUdp, "127.0.0.1", 18086, "loopback udp4"},
    };
    for (const auto& t : tries) {
      auto answer = exchange(t.netns_fd, t.kind, t.address, t.port, t.message);
      ASSERT_TRUE(answer) << t.message << ": " << answer.error().message();
      EXPECT_EQ(*answer, std::string("pong ") + t.message);
    }
    EXPECT_EQ(server.last_peer(), "10.251.5.1") << "loopback traffic reaches the container from the gateway";

    ASSERT_TRUE(net->detach("berth-it-c1"));
    ASSERT_TRUE(net->detach("berth-it-c2"));
    EXPECT_FALSE(exchange(remote.fd(), SocketKind::kTcp, "fd00:be7:6::1", 18085, "gone")) << "the port is gone";
    expect_nothing_attached(h.nl, config);
  });
}

TEST(BridgeMode, TwoHundredAttachDetachCyclesLeaveNoLinkRuleAllocationOrFd) {
  skip_unless_root();
  on_private_host([](PrivateHost& h) {
    const BridgeConfig config{
        .bridge = berth_name("b"), .subnet = "10.251.4.0/24", .state_dir = h.state_dir, .nft_table = berth_name("t")};
    auto net = BridgeNetwork::open(config);
    ASSERT_TRUE(net) << net.error().message();
    auto links_before = networking::list_links(h.nl);
    ASSERT_TRUE(links_before);
    const int fds_before = open_fd_count();
    for (int i = 0; i < 200; ++i) {
      const std::string id = "berth-it-cycle-" + std::to_string(i);
      auto a = net->attach(ContainerAttachment{id, &h.c1, "eth0", {}, {tcp(18090, 80)}});
      ASSERT_TRUE(a) << "cycle " << i << ": " << a.error().message();
      ASSERT_TRUE(net->detach(id)) << "cycle " << i;
    }
    auto links_after = networking::list_links(h.nl);
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
}

// The IPv6 addresses on the container's interface, as its own namespace lists them.
std::vector<std::string> ipv6_addresses_inside(const networking::Netns& netns, const std::string& ifname) {
  std::vector<std::string> out;
  auto inside = networking::RtnlSocket::open_in(netns);
  EXPECT_TRUE(inside) << inside.error().message();
  if (!inside) return out;
  auto addresses = networking::list_addresses(*inside, ifname);
  EXPECT_TRUE(addresses) << addresses.error().message();
  if (!addresses) return out;
  for (const auto& a : *addresses) {
    if (a.prefix.address().is_v6()) out.push_back(a.prefix.to_string());
  }
  return out;
}

bool any_link_local(const std::vector<std::string>& addresses) {
  return std::any_of(addresses.begin(), addresses.end(), [](const std::string& a) { return a.starts_with("fe80:"); });
}

TEST(BridgeMode, Ipv4OnlyContainerLinkHasNoIpv6AddressWhileDualStackKeepsItsLinkLocal) {
  skip_unless_root();
  skip_unless_ipv6();
  on_private_host([](PrivateHost& h) {
    auto v4 = BridgeNetwork::open({.bridge = berth_name("b"),
                                   .subnet = "10.251.7.0/24",
                                   .state_dir = h.state_dir + "/v4",
                                   .nft_table = berth_name("t")});
    ASSERT_TRUE(v4) << v4.error().message();
    auto dual = BridgeNetwork::open({.bridge = berth_name("d"),
                                     .subnet = "10.251.8.0/24",
                                     .subnet6 = "fd00:be7:8::/64",
                                     .state_dir = h.state_dir + "/dual",
                                     .nft_table = berth_name("u")});
    ASSERT_TRUE(dual) << dual.error().message();
    ASSERT_TRUE(v4->attach(ContainerAttachment{"berth-it-v4", &h.c1, "eth0", {}, {}}));
    ASSERT_TRUE(dual->attach(ContainerAttachment{"berth-it-dual", &h.c2, "eth0", {}, {}}));
    // An IPv4-only container's link makes no link-local address, so it sends no duplicate
    // address detection, router solicitations or MLD reports, which the bridge would flood to
    // every other container.
    const auto only_v4 = ipv6_addresses_inside(h.c1, "eth0");
    EXPECT_TRUE(only_v4.empty()) << "first IPv6 address: " << only_v4.front();
    const auto both = ipv6_addresses_inside(h.c2, "eth0");
    EXPECT_TRUE(std::find(both.begin(), both.end(), "fd00:be7:8::2/64") != both.end());
    EXPECT_TRUE(any_link_local(both)) << "a dual-stack container keeps its IPv6 link-local address";
    // The container's loopback still has ::1 either way.
    EXPECT_FALSE(ipv6_addresses_inside(h.c1, "lo").empty());
    ASSERT_TRUE(v4->detach("berth-it-v4"));
    ASSERT_TRUE(dual->detach("berth-it-dual"));
  });
}

TEST(BridgeMode, HostEndOfTheVethHasNoIpv6OfItsOwnInEitherKindOfNetwork) {
  skip_unless_root();
  skip_unless_ipv6();
  on_private_host([](PrivateHost& h) {
    auto dual = BridgeNetwork::open({.bridge = berth_name("d"),
                                     .subnet = "10.251.10.0/24",
                                     .subnet6 = "fd00:be7:10::/64",
                                     .state_dir = h.state_dir,
                                     .nft_table = berth_name("u")});
    ASSERT_TRUE(dual) << dual.error().message();
    ASSERT_TRUE(dual->attach(ContainerAttachment{"berth-it-port", &h.c1, "eth0", {}, {}}));
    const std::string veth = BridgeNetwork::host_veth_name("berth-it-port");
    // This thread is in the private host namespace: /proc/sys/net shows its sysctls.
    auto disabled = read_file("/proc/sys/net/ipv6/conf/" + veth + "/disable_ipv6");
    ASSERT_TRUE(disabled) << disabled.error().message();
    EXPECT_EQ(*disabled, "1\n");
    auto addresses = networking::list_addresses(h.nl, veth);
    ASSERT_TRUE(addresses) << addresses.error().message();
    for (const auto& a : *addresses) EXPECT_FALSE(a.prefix.address().is_v6()) << a.prefix.to_string();
    // The container still has IPv6 through that port: its gateway answers.
    auto listener = listen_tcp(*networking::IpAddress::parse("fd00:be7:10::1"));
    ASSERT_TRUE(listener) << listener.error().message();
    auto out = connect_from(h.c1, *networking::IpAddress::parse("fd00:be7:10::1"), listener->port);
    EXPECT_TRUE(out) << out.error().message();
    ASSERT_TRUE(dual->detach("berth-it-port"));
  });
}

TEST(BridgeMode, GatewayMacStaysWhenAPortWithALowerMacJoins) {
  skip_unless_root();
  on_private_host([](PrivateHost& h) {
    const BridgeConfig config{
        .bridge = berth_name("b"), .subnet = "10.251.9.0/24", .state_dir = h.state_dir, .nft_table = berth_name("t")};
    auto net = BridgeNetwork::open(config);
    ASSERT_TRUE(net) << net.error().message();
    auto before = networking::find_link(h.nl, config.bridge);
    ASSERT_TRUE(before) << before.error().message();
    ASSERT_TRUE(net->attach(ContainerAttachment{"berth-it-mac", &h.c1, "eth0", {}, {}}));
    // The lowest locally administered unicast MAC there is: a bridge that takes its address
    // from its ports would now take this one, and every container's gateway entry would go
    // stale.
    ASSERT_TRUE(networking::set_link_mac(h.nl, BridgeNetwork::host_veth_name("berth-it-mac"), "02:00:00:00:00:01"));
    auto after = networking::find_link(h.nl, config.bridge);
    ASSERT_TRUE(after) << after.error().message();
    EXPECT_EQ(after->mac, before->mac);
    ASSERT_TRUE(net->detach("berth-it-mac"));
    auto reopened = BridgeNetwork::open(config);
    ASSERT_TRUE(reopened) << reopened.error().message();
    auto again = networking::find_link(h.nl, config.bridge);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->mac, before->mac) << "opening the network again keeps the bridge's address";
  });
}

}  // namespace
}  // namespace berth::integration
