// Shared-IP mode end to end on a real kernel, all inside namespaces the test makes: "H"
// stands for the host (eth0, 10.199.7.1/24, a default route via O) and "O" for another host
// on its link (eth0, 10.199.7.2/24). Containers attached to H's eth0 share 10.199.7.1: O
// reaches a container's server on an allotted port and not on any other port, UDP works, the
// container's own connections to O get their answers on its ephemeral ports; overlapping
// ranges are refused; detach leaves no filter, qdisc or link. Needs root.
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "networking/netlink/addresses.h"
#include "networking/netlink/links.h"
#include "networking/netlink/routes.h"
#include "networking/netlink/rtnl_socket.h"
#include "networking/netns/sysctl.h"
#include "networking/shared_ip/shared_ip_network.h"
#include "networking/shared_ip/tc_filters.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/networking.h"

namespace berth::integration {
namespace {

using networking::IpAddress;
using networking::IpPrefix;
using networking::Netns;
using networking::PortRange;
using networking::RtnlSocket;
using networking::shared_ip::SharedIpAttachment;
using networking::shared_ip::SharedIpContainer;
using networking::shared_ip::SharedIpNetwork;
using networking::shared_ip::TcLink;
using networking::shared_ip::TcSocket;

constexpr const char* kHostAddress = "10.199.7.1";
constexpr const char* kOtherAddress = "10.199.7.2";
constexpr uint32_t kLinkMtu = 1400;  // not the veth default, so that copying it shows

IpPrefix prefix(const char* text) { return IpPrefix::parse(text).value(); }

// H and O joined by a veth (eth0 on both sides), addressed, up, H routed via O.
Status wire_host_and_other(const Netns& h, const Netns& o) {
  BERTH_ASSIGN(RtnlSocket hnl, RtnlSocket::open_in(h));
  BERTH_ASSIGN(RtnlSocket onl, RtnlSocket::open_in(o));
  BERTH_TRY(networking::create_veth(hnl, "eth0", "eth0", &o));
  BERTH_TRY(networking::add_address(hnl, "eth0", prefix("10.199.7.1/24")));
  BERTH_TRY(networking::add_address(onl, "eth0", prefix("10.199.7.2/24")));
  for (RtnlSocket* nl : {&hnl, &onl}) {
    BERTH_TRY(networking::set_link_mtu(*nl, "eth0", kLinkMtu));
    BERTH_TRY(networking::set_link_up(*nl, "lo"));
    BERTH_TRY(networking::set_link_up(*nl, "eth0"));
  }
  return networking::add_default_route(hnl, IpAddress::parse(kOtherAddress).value(), "eth0");
}

// A TCP listener on `port` inside `netns`.
Result<UniqueFd> listen_in(const Netns& netns, uint16_t port) {
  BERTH_ASSIGN(UniqueFd fd, socket_in(netns.fd(), SocketKind::kTcp));
  const auto at = networking::SocketAddress::of(IpAddress::unspecified(networking::Family::kIpv4), port);
  if (::bind(fd.get(), at.get(), at.length) != 0) return Error::from_errno("bind");
  if (::listen(fd.get(), 4) != 0) return Error::from_errno("listen");
  return fd;
}

// Accepts one connection within 3 s, answers "pong", and returns the peer's source port.
Result<uint16_t> answer_one(int listener) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, 3000) != 1) return Error(ETIMEDOUT, "no connection came");
  networking::SocketAddress from;
  UniqueFd conn(::accept4(listener, from.get(), &from.length, SOCK_CLOEXEC));
  if (!conn) return Error::from_errno("accept");
  std::array<char, 64> buf{};
  (void)::read(conn.get(), buf.data(), buf.size());
  if (::write(conn.get(), "pong", 4) != 4) return Error::from_errno("write");
  return from.port();
}

// What tc(8) itself shows on H's eth0 ("qdisc" or "filter"): a check independent of libnl.
std::string tc_show(NetnsStateDir& state, const std::string& what) {
  const RunResult r =
      run_cmd({"nsenter", "--net=" + state.store().path("berth-h"), "tc", what, "show", "dev", "eth0", "ingress"});
  EXPECT_EQ(r.exit_code, 0) << r;
  return r.out;
}

Result<std::vector<networking::shared_ip::InstalledFilter>> filters_on_eth0(const Netns& h) {
  BERTH_ASSIGN(TcSocket tc, TcSocket::open_in(h));
  BERTH_ASSIGN(RtnlSocket nl, RtnlSocket::open_in(h));
  BERTH_ASSIGN(networking::Link eth0, networking::find_link(nl, "eth0"));
  return tc.list_filters(TcLink{eth0.index, "eth0"});
}

class SharedIpMode : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    ASSERT_TRUE(state_.ok());
    for (const char* name : {"berth-h", "berth-o", "berth-c1", "berth-c2"}) {
      auto netns = state_.store().create(name);
      ASSERT_TRUE(netns) << netns.error().message();
      netns_.push_back(std::move(netns).value());
    }
    BERTH_ASSERT_OK(wire_host_and_other(h(), o()));
    auto host = state_.store().open("berth-h");
    ASSERT_TRUE(host) << host.error().message();
    auto net = SharedIpNetwork::open(std::move(host).value(), "eth0");
    ASSERT_TRUE(net) << net.error().message();
    net_.emplace(std::move(net).value());
  }
  // The namespaces go with the state dir; the veths with them.
  void TearDown() override {
    if (net_) {
      (void)net_->detach("berth-it-c1");
      (void)net_->detach("berth-it-c2");
    }
  }

  const Netns& h() { return netns_[0]; }
  const Netns& o() { return netns_[1]; }
  const Netns& c1() { return netns_[2]; }
  const Netns& c2() { return netns_[3]; }
  SharedIpNetwork& net() { return *net_; }

  NetnsStateDir state_;
  std::vector<Netns> netns_;
  std::optional<SharedIpNetwork> net_;
};

TEST_F(SharedIpMode, AllottedPortsReachTheContainerOtherPortsStayTheHosts) {
  BERTH_ASSERT_OK(net().attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}}));
  EchoServer inside(c1().fd(), 31050);
  ASSERT_TRUE(inside.ok()) << inside.error();
  EchoServer outside_allotment(c1().fd(), 32100);
  ASSERT_TRUE(outside_allotment.ok()) << outside_allotment.error();
  EchoServer host_service(h().fd(), 8080);
  ASSERT_TRUE(host_service.ok()) << host_service.error();

  auto tcp = exchange(o().fd(), SocketKind::kTcp, kHostAddress, 31050, "tcp");
  ASSERT_TRUE(tcp) << tcp.error().message();
  EXPECT_EQ(*tcp, "pong tcp");
  EXPECT_EQ(inside.last_peer(), kOtherAddress);
  auto udp = exchange(o().fd(), SocketKind::kUdp, kHostAddress, 31050, "udp");
  ASSERT_TRUE(udp) << udp.error().message();
  EXPECT_EQ(*udp, "pong udp");
  auto blocked = exchange(o().fd(), SocketKind::kTcp, kHostAddress, 32100, "not allotted");
  EXPECT_FALSE(blocked) << "port 32100 is not the container's, yet it answered: " << *blocked;
  auto host = exchange(o().fd(), SocketKind::kTcp, kHostAddress, 8080, "host");
  ASSERT_TRUE(host) << "the host's own services still answer: " << host.error().message();
  EXPECT_EQ(*host, "pong host");
}

TEST_F(SharedIpMode, TheContainersOwnConnectionsUseItsEphemeralPortsAndGetAnswers) {
  BERTH_ASSERT_OK(net().attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}}));
  auto range = networking::read_sysctl(c1(), "net.ipv4.ip_local_port_range");
  ASSERT_TRUE(range) << range.error().message();
  EXPECT_EQ(*range, "61000\t61999");
  auto listener = listen_in(o(), 7001);
  ASSERT_TRUE(listener) << listener.error().message();
  Result<std::string> answer = Error(0, "not run");
  std::thread client([&] { answer = exchange(c1().fd(), SocketKind::kTcp, kOtherAddress, 7001, "out"); });
  auto port = answer_one(listener->get());
  client.join();
  ASSERT_TRUE(port) << port.error().message();
  EXPECT_GE(*port, 61000);
  EXPECT_LE(*port, 61999);
  ASSERT_TRUE(answer) << "the answer to port " << *port << " reaches the container: " << answer.error().message();
  EXPECT_EQ(*answer, "pong");

  // ICMP reaches it too: O's "port unreachable" for a datagram it sent fails its socket.
  auto udp = socket_in(c1().fd(), SocketKind::kUdp);
  ASSERT_TRUE(udp) << udp.error().message();
  const auto closed = networking::SocketAddress::of(IpAddress::parse(kOtherAddress).value(), 7999);
  ASSERT_EQ(::connect(udp->get(), closed.get(), closed.length), 0);
  const timeval two_seconds{2, 0};
  ASSERT_EQ(::setsockopt(udp->get(), SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds), 0);
  ASSERT_EQ(::send(udp->get(), "x", 1, 0), 1);
  std::array<char, 8> buf{};
  EXPECT_EQ(::recv(udp->get(), buf.data(), buf.size(), 0), -1);
  EXPECT_EQ(errno, ECONNREFUSED) << "the ICMP error was mirrored to the container";

  // It looks like the host from inside: the host's address, MAC and default route.
  auto cnl = RtnlSocket::open_in(c1());
  auto hnl = RtnlSocket::open_in(h());
  ASSERT_TRUE(cnl && hnl);
  auto inner = networking::find_link(*cnl, "eth0");
  auto outer = networking::find_link(*hnl, "eth0");
  ASSERT_TRUE(inner && outer);
  EXPECT_EQ(inner->mac, outer->mac);
  EXPECT_EQ(inner->mtu, kLinkMtu);
  auto routes = networking::list_routes(*cnl, networking::Family::kIpv4);
  ASSERT_TRUE(routes) << routes.error().message();
  bool default_via_o = false;
  for (const auto& r : *routes)
    default_via_o |= r.destination.length() == 0 && r.gateway && r.gateway->to_string() == kOtherAddress;
  EXPECT_TRUE(default_via_o);
}

TEST_F(SharedIpMode, OverlappingRangesAreRefusedAndTwoContainersShareTheAddress) {
  BERTH_ASSERT_OK(net().attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}}));
  auto again = net().attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), EEXIST) << again.error().message();
  auto clash = net().attach(SharedIpAttachment{"berth-it-c2", &c2(), {{31050, 31060}}, {62000, 62999}});
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message().find("31050-31060 overlap 31000-31099 of container \"berth-it-c1\""),
            std::string::npos)
      << clash.error().message();
  auto host_range = net().attach(SharedIpAttachment{"berth-it-c2", &c2(), {{31100, 31199}}, {40000, 40999}});
  ASSERT_FALSE(host_range);
  EXPECT_NE(host_range.error().message().find("the host's ephemeral ports"), std::string::npos)
      << host_range.error().message();
  auto own = net().attach(SharedIpAttachment{"berth-it-c2", &c2(), {{31100, 31199}}, {31150, 31160}});
  ASSERT_FALSE(own);
  EXPECT_NE(own.error().message().find("31100-31199 overlaps 31150-31160"), std::string::npos) << own.error().message();
  auto hnl = RtnlSocket::open_in(h());
  ASSERT_TRUE(hnl);
  EXPECT_FALSE(networking::find_link(*hnl, SharedIpNetwork::host_veth_name("berth-it-c2"))) << "refused: no veth";

  BERTH_ASSERT_OK(
      net().attach(SharedIpAttachment{"berth-it-c2", &c2(), {{31100, 31199}, {31300, 31300}}, {62000, 62999}}));
  auto listed = net().list();
  ASSERT_TRUE(listed) << listed.error().message();
  const std::vector<SharedIpContainer> expected{
      {"berth-it-c1", SharedIpNetwork::host_veth_name("berth-it-c1"), {{31000, 31099}}, {{61000, 61999}}},
      {"berth-it-c2",
       SharedIpNetwork::host_veth_name("berth-it-c2"),
       {{31100, 31199}, {31300, 31300}},
       {{62000, 62999}}},
  };
  EXPECT_EQ(*listed, expected);
  // A restarted berthd finds the same from the kernel alone.
  auto host = state_.store().open("berth-h");
  ASSERT_TRUE(host);
  auto reopened = SharedIpNetwork::open(std::move(host).value(), "eth0");
  ASSERT_TRUE(reopened) << reopened.error().message();
  auto recovered = reopened->list();
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(*recovered, expected);
  EchoServer one(c1().fd(), 31001);
  EchoServer two(c2().fd(), 31300);
  ASSERT_TRUE(one.ok() && two.ok()) << one.error() << two.error();
  auto to_one = exchange(o().fd(), SocketKind::kTcp, kHostAddress, 31001, "one");
  auto to_two = exchange(o().fd(), SocketKind::kTcp, kHostAddress, 31300, "two");
  ASSERT_TRUE(to_one && to_two);
  EXPECT_EQ(*to_one, "pong one");
  EXPECT_EQ(*to_two, "pong two");
}

TEST_F(SharedIpMode, DetachRemovesExactlyItsFiltersAndVethAndIsIdempotent) {
  BERTH_ASSERT_OK(net().attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}}));
  BERTH_ASSERT_OK(net().attach(SharedIpAttachment{"berth-it-c2", &c2(), {{31100, 31199}}, {62000, 62999}}));
  auto before = filters_on_eth0(h());
  ASSERT_TRUE(before) << before.error().message();
  // Per container a TCP and a UDP filter per aligned block of its ranges (31000-31099: 6,
  // 61000-61999: 8; 31100-31199: 3, 62000-62999: 7), one ICMP and one ARP mirror.
  constexpr size_t kFirst = (6 + 8) * 2 + 2;
  constexpr size_t kSecond = (3 + 7) * 2 + 2;
  EXPECT_EQ(before->size(), kFirst + kSecond);

  BERTH_ASSERT_OK(net().detach("berth-it-c1"));
  BERTH_ASSERT_OK(net().detach("berth-it-c1"));  // a second detach is fine
  auto hnl = RtnlSocket::open_in(h());
  ASSERT_TRUE(hnl);
  EXPECT_FALSE(networking::find_link(*hnl, SharedIpNetwork::host_veth_name("berth-it-c1")));
  auto cnl = RtnlSocket::open_in(c1());
  ASSERT_TRUE(cnl);
  EXPECT_FALSE(networking::find_link(*cnl, "eth0")) << "the container's eth0 went with its veth";
  auto middle = filters_on_eth0(h());
  ASSERT_TRUE(middle) << middle.error().message();
  EXPECT_EQ(middle->size(), kSecond) << "the other container's filters stay";
  EXPECT_NE(tc_show(state_, "qdisc").find("qdisc ingress ffff:"), std::string::npos);
  EchoServer two(c2().fd(), 31101);
  ASSERT_TRUE(two.ok()) << two.error();
  auto still = exchange(o().fd(), SocketKind::kTcp, kHostAddress, 31101, "still");
  EXPECT_TRUE(still) << still.error().message();

  BERTH_ASSERT_OK(net().detach("berth-it-c2"));
  auto after = filters_on_eth0(h());
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_TRUE(after->empty());
  EXPECT_EQ(tc_show(state_, "filter"), "");
  EXPECT_EQ(tc_show(state_, "qdisc"), "") << "the ingress qdisc went with the last filter";
  auto listed = net().list();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  auto links = networking::list_links(*hnl);
  ASSERT_TRUE(links);
  for (const auto& link : *links) EXPECT_TRUE(link.name == "lo" || link.name == "eth0") << link.name << " is left";
}

TEST_F(SharedIpMode, AFailedAttachNamesTheFilterAndLeavesNothingButOthersFilters) {
  // Someone else's filter where berth's TCP/UDP redirects go, for another protocol: the
  // kernel refuses a second protocol at one priority.
  auto tc = TcSocket::open_in(h());
  auto hnl = RtnlSocket::open_in(h());
  ASSERT_TRUE(tc && hnl);
  auto eth0 = networking::find_link(*hnl, "eth0");
  ASSERT_TRUE(eth0);
  const TcLink host{eth0->index, "eth0"};
  auto foreign = networking::shared_ip::arp_mirror(eth0->index);
  foreign.priority = networking::shared_ip::kAllottedPortsPriority;
  BERTH_ASSERT_OK(tc->ensure_ingress(host));
  BERTH_ASSERT_OK(tc->add_filter(host, foreign, "eth0"));

  auto refused = net().attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}});
  ASSERT_FALSE(refused);
  const std::string veth = SharedIpNetwork::host_veth_name("berth-it-c1");
  EXPECT_NE(refused.error().message().find("add u32 filter prio 49001 tcp dport 31000/0xfff8 redirect to " + veth +
                                           " on eth0 in netns berth-h: "),
            std::string::npos)
      << refused.error().message();
  EXPECT_FALSE(networking::find_link(*hnl, veth));
  auto cnl = RtnlSocket::open_in(c1());
  ASSERT_TRUE(cnl);
  EXPECT_FALSE(networking::find_link(*cnl, "eth0"));
  auto left = filters_on_eth0(h());
  ASSERT_TRUE(left) << left.error().message();
  ASSERT_EQ(left->size(), 1U) << "only the other filter is left";
  EXPECT_EQ(left->front().spec, foreign);
  const std::string shown = tc_show(state_, "filter");
  for (const char* ours : {"pref 49002", "pref 49003", "pref 49004"}) {
    EXPECT_EQ(shown.find(ours), std::string::npos) << shown;
  }
}

TEST_F(SharedIpMode, AnInterfaceWithoutAnIpv4AddressIsRefusedAndNothingIsLeft) {
  auto hnl = RtnlSocket::open_in(h());
  ASSERT_TRUE(hnl);
  BERTH_ASSERT_OK(networking::create_veth(*hnl, "berth-bare0", "berth-bare1"));
  auto host = state_.store().open("berth-h");
  ASSERT_TRUE(host);
  auto bare = SharedIpNetwork::open(std::move(host).value(), "berth-bare0");
  ASSERT_TRUE(bare) << bare.error().message();
  auto refused = bare->attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("host interface berth-bare0 in netns berth-h has no IPv4 address"),
            std::string::npos)
      << refused.error().message();
  EXPECT_FALSE(networking::find_link(*hnl, SharedIpNetwork::host_veth_name("berth-it-c1")));
  auto again = state_.store().open("berth-h");
  ASSERT_TRUE(again);
  auto missing = SharedIpNetwork::open(std::move(again).value(), "berth-none0");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("berth-none0"), std::string::npos) << missing.error().message();
}

TEST_F(SharedIpMode, ManyAttachDetachCyclesLeaveNoFilterLinkOrFd) {
  constexpr int kCycles = 100;
  const int fds_before = open_fd_count();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCycles; ++i) {
    Status attached = net().attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}});
    ASSERT_TRUE(attached) << "cycle " << i << ": " << attached.error().message();
    Status detached = net().detach("berth-it-c1");
    ASSERT_TRUE(detached) << "cycle " << i << ": " << detached.error().message();
  }
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  std::printf("shared-ip: %d attach+detach cycles (30 host filters each) took %lld us, %lld us per cycle\n", kCycles,
              static_cast<long long>(took.count()), static_cast<long long>(took.count() / kCycles));
  EXPECT_LT(took, std::chrono::seconds(30));
  EXPECT_EQ(open_fd_count(), fds_before);
  EXPECT_EQ(tc_show(state_, "filter"), "");
  auto hnl = RtnlSocket::open_in(h());
  ASSERT_TRUE(hnl);
  auto links = networking::list_links(*hnl);
  ASSERT_TRUE(links);
  EXPECT_EQ(links->size(), 2U) << "lo and eth0 only";
}

TEST_F(SharedIpMode, AHostClsactQdiscServesAndIsNeverRemoved) {
  const RunResult added =
      run_cmd({"nsenter", "--net=" + state_.store().path("berth-h"), "tc", "qdisc", "add", "dev", "eth0", "clsact"});
  ASSERT_EQ(added.exit_code, 0) << added;
  BERTH_ASSERT_OK(net().attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}}));
  EchoServer inside(c1().fd(), 31099);
  ASSERT_TRUE(inside.ok()) << inside.error();
  auto tcp = exchange(o().fd(), SocketKind::kTcp, kHostAddress, 31099, "clsact");
  ASSERT_TRUE(tcp) << tcp.error().message();
  BERTH_ASSERT_OK(net().detach("berth-it-c1"));
  EXPECT_EQ(tc_show(state_, "filter"), "");
  EXPECT_NE(tc_show(state_, "qdisc").find("qdisc clsact ffff:"), std::string::npos) << "the operator's qdisc stays";
}

TEST_F(SharedIpMode, DetachAfterTheVethVanishedStillRemovesItsFilters) {
  BERTH_ASSERT_OK(net().attach(SharedIpAttachment{"berth-it-c1", &c1(), {{31000, 31099}}, {61000, 61999}}));
  auto hnl = RtnlSocket::open_in(h());
  ASSERT_TRUE(hnl);
  // As when berthd dies between the two steps of a detach, or someone deletes the link.
  BERTH_ASSERT_OK(networking::delete_link(*hnl, SharedIpNetwork::host_veth_name("berth-it-c1")));
  auto orphans = filters_on_eth0(h());
  ASSERT_TRUE(orphans) << orphans.error().message();
  ASSERT_FALSE(orphans->empty());
  for (const auto& f : *orphans) EXPECT_EQ(f.spec.target_ifindex, 0) << f.spec.describe() << " still has a target";
  BERTH_ASSERT_OK(net().detach("berth-it-c1"));
  auto after = filters_on_eth0(h());
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_TRUE(after->empty());
  EXPECT_EQ(tc_show(state_, "filter"), "");
}

}  // namespace
}  // namespace berth::integration
