// IP-per-container plumbing on the real kernel (root): a bridge on the host, a veth pair
// whose peer is made inside a pinned namespace as eth0, IPv4 and IPv6 addresses on both
// ends, links up and a default route in the namespace via the bridge. A TCP connection from
// inside the namespace to a listener on the bridge address proves it works, for both
// families. Every link and pin is named berth… and removed even when a test fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <string>

#include "common/file.h"
#include "common/strings.h"
#include "networking/addr/ip_address.h"
#include "networking/netlink/addresses.h"
#include "networking/netlink/links.h"
#include "networking/netlink/routes.h"
#include "networking/netlink/rtnl_socket.h"
#include "networking/netns/netns.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/networking.h"

namespace berth::integration {
namespace {

using networking::Family;
using networking::IpAddress;
using networking::IpPrefix;
using networking::Netns;
using networking::RtnlSocket;

// Test networks of their own per process: 198.18.0.0/15 (benchmarking, RFC 2544) and a ULA.
// `far` picks a network the namespace has no link route to: only its default route leads there.
IpPrefix v4(unsigned host, bool far = false) {
  const unsigned net = (static_cast<unsigned>(::getpid()) + (far ? 256 : 0)) & 0x1ff;
  return *IpPrefix::parse("198." + std::to_string(18 + (net >> 8)) + "." + std::to_string(net & 0xff) + "." +
                          std::to_string(host) + (far ? "/32" : "/24"));
}

IpPrefix v6(unsigned host, bool far = false) {
  std::array<char, 8> group{};
  std::snprintf(group.data(), group.size(), "%x", static_cast<unsigned>(::getpid()) & 0xffff);
  return *IpPrefix::parse(std::string(far ? "fd00:6265:7275:" : "fd00:6265:7274:") + group.data() +
                          "::" + std::to_string(host) + (far ? "/128" : "/64"));
}

class BridgeVethTest : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    ASSERT_TRUE(state_.ok());
    auto host = RtnlSocket::open();
    ASSERT_TRUE(host.ok()) << host.error().message();
    host_.emplace(std::move(*host));
    links_.emplace(*host_);
    auto netns = state_.store().create(netns_name_);
    ASSERT_TRUE(netns.ok()) << netns.error().message();
    netns_.emplace(std::move(*netns));
    auto inside = RtnlSocket::open_in(*netns_);
    ASSERT_TRUE(inside.ok()) << inside.error().message();
    inside_.emplace(std::move(*inside));
  }

  void TearDown() override {
    inside_.reset();
    links_.reset();  // deletes the veth (and eth0 with it) and the bridge
  }

  // Bridge and veth made, the veth attached, everything up; no addresses yet.
  void plug() {
    links_->track(bridge_);
    links_->track(veth_);
    BERTH_ASSERT_OK(networking::create_bridge(*host_, bridge_));
    BERTH_ASSERT_OK(networking::create_veth(*host_, veth_, "eth0", &*netns_));
    BERTH_ASSERT_OK(networking::set_link_master(*host_, veth_, bridge_));
    BERTH_ASSERT_OK(networking::set_link_up(*host_, bridge_));
    BERTH_ASSERT_OK(networking::set_link_up(*host_, veth_));
    BERTH_ASSERT_OK(networking::set_link_up(*inside_, "eth0"));
    BERTH_ASSERT_OK(networking::set_link_up(*inside_, "lo"));
  }

  // plug(), then addresses of `family` on the bridge (.1, and a far one) and eth0 (.2) and
  // eth0's default route via the bridge.
  void connect_family(Family family) {
    ASSERT_NO_FATAL_FAILURE(plug());
    const IpPrefix bridge_ip = family == Family::kIpv4 ? v4(1) : v6(1);
    const IpPrefix far_ip = family == Family::kIpv4 ? v4(1, true) : v6(1, true);
    const IpPrefix peer_ip = family == Family::kIpv4 ? v4(2) : v6(2);
    BERTH_ASSERT_OK(networking::add_address(*host_, bridge_, bridge_ip, {.no_dad = true}));
    BERTH_ASSERT_OK(networking::add_address(*host_, bridge_, far_ip, {.no_dad = true}));
    BERTH_ASSERT_OK(networking::add_address(*inside_, "eth0", peer_ip, {.no_dad = true}));
    BERTH_ASSERT_OK(networking::add_default_route(*inside_, bridge_ip.address()));
  }

  // A TCP connection from inside the namespace reaches a listener on a host address of the
  // bridge and comes from eth0's address.
  void expect_reachable(const IpPrefix& bridge_ip, const IpPrefix& peer_ip) {
    auto listener = listen_tcp(bridge_ip.address());
    ASSERT_TRUE(listener.ok()) << listener.error().message();
    Status connected = connect_from(*netns_, bridge_ip.address(), listener->port);
    ASSERT_TRUE(connected.ok()) << connected.error().message();
    auto peer = accept_peer(*listener);
    ASSERT_TRUE(peer.ok()) << peer.error().message();
    EXPECT_EQ(peer->to_string(), peer_ip.address().to_string());
  }

  NetnsStateDir state_;
  const std::string netns_name_ = berth_name("t");
  const std::string bridge_ = berth_name("t");
  const std::string veth_ = berth_name("v");
  std::optional<RtnlSocket> host_;
  std::optional<HostLinks> links_;
  std::optional<Netns> netns_;
  std::optional<RtnlSocket> inside_;
};

TEST_F(BridgeVethTest, NamespaceReachesTheBridgeOverIpv4ViaItsDefaultRoute) {
  ASSERT_NO_FATAL_FAILURE(connect_family(Family::kIpv4));
  ASSERT_NO_FATAL_FAILURE(expect_reachable(v4(1), v4(2)));
  ASSERT_NO_FATAL_FAILURE(expect_reachable(v4(1, true), v4(2))) << "off-link: through the default route only";

  auto routes = networking::list_routes(*inside_, Family::kIpv4);
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  auto eth0 = networking::find_link(*inside_, "eth0");
  ASSERT_TRUE(eth0.ok()) << eth0.error().message();
  const networking::Route expected{*IpPrefix::parse("0.0.0.0/0"), v4(1).address(), eth0->index};
  EXPECT_NE(std::find(routes->begin(), routes->end(), expected), routes->end());
}

TEST_F(BridgeVethTest, NamespaceReachesTheBridgeOverIpv6ViaItsDefaultRoute) {
  ASSERT_NO_FATAL_FAILURE(connect_family(Family::kIpv6));
  ASSERT_NO_FATAL_FAILURE(expect_reachable(v6(1), v6(2)));
  ASSERT_NO_FATAL_FAILURE(expect_reachable(v6(1, true), v6(2))) << "off-link: through the default route only";

  auto routes = networking::list_routes(*inside_, Family::kIpv6);
  ASSERT_TRUE(routes.ok()) << routes.error().message();
  EXPECT_TRUE(std::any_of(routes->begin(), routes->end(), [&](const networking::Route& r) {
    return r.destination.length() == 0 && r.gateway == v6(1).address();
  }));
}

TEST_F(BridgeVethTest, PeerIsMadeInsideTheNamespaceUnderItsOwnName) {
  ASSERT_NO_FATAL_FAILURE(plug());
  auto eth0 = networking::find_link(*inside_, "eth0");
  ASSERT_TRUE(eth0.ok()) << eth0.error().message();
  EXPECT_EQ(eth0->kind, "veth");
  EXPECT_TRUE(eth0->up);
  auto veth = networking::find_link(*host_, veth_);
  ASSERT_TRUE(veth.ok()) << veth.error().message();
  auto bridge = networking::find_link(*host_, bridge_);
  ASSERT_TRUE(bridge.ok()) << bridge.error().message();
  EXPECT_EQ(bridge->kind, "bridge");
  EXPECT_EQ(veth->master, bridge->index);
  auto links = networking::list_links(*inside_);
  ASSERT_TRUE(links.ok()) << links.error().message();
  std::vector<std::string> names;
  for (const auto& l : *links) names.push_back(l.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"eth0", "lo"}));
}

TEST_F(BridgeVethTest, CreatingTheSamePairAgainSaysFileExistsNamingBothEnds) {
  ASSERT_NO_FATAL_FAILURE(plug());
  Status again = networking::create_veth(*host_, veth_, "eth0", &*netns_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), EEXIST);
  EXPECT_EQ(again.error().message(), "create veth " + veth_ + " <-> eth0 in netns " + netns_name_ + ": File exists");
}

TEST_F(BridgeVethTest, MtuAndBridgeAreSetAndCleared) {
  ASSERT_NO_FATAL_FAILURE(plug());
  BERTH_ASSERT_OK(networking::set_link_mtu(*host_, veth_, 1400));
  EXPECT_EQ(networking::find_link(*host_, veth_)->mtu, 1400U);
  BERTH_ASSERT_OK(networking::clear_link_master(*host_, veth_));
  EXPECT_EQ(networking::find_link(*host_, veth_)->master, 0);
  BERTH_ASSERT_OK(networking::set_link_down(*inside_, "eth0"));
  EXPECT_FALSE(networking::find_link(*inside_, "eth0")->up);
  Status bad = networking::set_link_master(*host_, veth_, "berth-nobridge");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "attach link " + veth_ + " to bridge berth-nobridge: find link berth-nobridge: No such device");
}

TEST_F(BridgeVethTest, AddressesAreListedAndDeleted) {
  ASSERT_NO_FATAL_FAILURE(plug());
  BERTH_ASSERT_OK(networking::add_address(*inside_, "eth0", v4(2)));
  BERTH_ASSERT_OK(networking::add_address(*inside_, "eth0", v6(2), {.no_dad = true}));
  auto listed = networking::list_addresses(*inside_, "eth0");
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  auto has = [&](const IpPrefix& p) {
    auto all = networking::list_addresses(*inside_, "eth0");
    return all.ok() && std::any_of(all->begin(), all->end(),
                                   [&](const networking::LinkAddress& a) { return a.prefix == p && !a.tentative; });
  };
  EXPECT_TRUE(has(v4(2)));
  EXPECT_TRUE(has(v6(2))) << "no-DAD address listed as tentative or missing";

  Status dup = networking::add_address(*inside_, "eth0", v4(2));
  ASSERT_FALSE(dup.ok());
  // Newer kernels add why in an extended ack: "File exists (kernel: ipv4: Address already assigned)".
  EXPECT_TRUE(starts_with(dup.error().message(),
                          "add address " + v4(2).to_string() + " to eth0 in netns " + netns_name_ + ": File exists"))
      << dup.error().message();
  BERTH_ASSERT_OK(networking::delete_address(*inside_, "eth0", v4(2)));
  BERTH_ASSERT_OK(networking::delete_address(*inside_, "eth0", v6(2)));
  EXPECT_FALSE(has(v4(2)));
  EXPECT_FALSE(has(v6(2)));
}

TEST_F(BridgeVethTest, ADefaultRouteViaAnUnreachableGatewayIsRefusedWithTheRoute) {
  ASSERT_NO_FATAL_FAILURE(plug());
  Status s = networking::add_default_route(*inside_, *IpAddress::parse("198.51.100.1"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ENETUNREACH);
  EXPECT_EQ(s.error().message().rfind(
                "add default route via 198.51.100.1 in netns " + netns_name_ + ": Network is unreachable", 0),
            0U)
      << s.error().message();
}

TEST_F(BridgeVethTest, LinkMovedToTheNamespaceIsRenamedThereAndGoneHere) {
  const std::string a = berth_name("a");
  const std::string b = berth_name("b");
  links_->track(a);
  BERTH_ASSERT_OK(networking::create_veth(*host_, a, b));
  BERTH_ASSERT_OK(networking::move_link_to_netns(*host_, b, *netns_, "eth1"));
  auto here = networking::find_link(*host_, b);
  ASSERT_FALSE(here.ok());
  EXPECT_EQ(here.error().code(), ENODEV);
  auto there = networking::find_link(*inside_, "eth1");
  ASSERT_TRUE(there.ok()) << there.error().message();
  EXPECT_EQ(there->kind, "veth");
  BERTH_ASSERT_OK(networking::delete_link(*host_, a));
  EXPECT_FALSE(networking::find_link(*inside_, "eth1").ok()) << "deleting one end of a veth deletes its peer";
}

TEST_F(BridgeVethTest, VethMadeInOneRequestIsAnUpPortOfTheBridgeWithItsMtuOnBothEnds) {
  links_->track(bridge_);
  links_->track(veth_);
  BERTH_ASSERT_OK(networking::create_bridge(*host_, bridge_));
  auto bridge = networking::find_link(*host_, bridge_);
  ASSERT_TRUE(bridge.ok()) << bridge.error().message();
  BERTH_ASSERT_OK(
      networking::create_veth(*host_, veth_, "eth0", &*netns_, {.mtu = 1400, .master = bridge->index, .up = true}));
  auto host_end = networking::find_link(*host_, veth_);
  ASSERT_TRUE(host_end.ok()) << host_end.error().message();
  EXPECT_EQ(host_end->master, bridge->index);
  EXPECT_TRUE(host_end->up);
  EXPECT_EQ(host_end->mtu, 1400U);
  auto peer = networking::find_link(*inside_, "eth0");
  ASSERT_TRUE(peer.ok()) << peer.error().message();
  EXPECT_FALSE(peer->up) << "the peer is left down, for its addresses to be set first";
  EXPECT_EQ(peer->mtu, 1400U);
  // And it carries traffic once the peer is configured.
  BERTH_ASSERT_OK(networking::set_link_up(*host_, bridge_));
  BERTH_ASSERT_OK(networking::add_address(*host_, bridge_, v4(1), {.no_dad = true}));
  BERTH_ASSERT_OK(networking::add_address(*inside_, "eth0", v4(2), {.no_dad = true}));
  BERTH_ASSERT_OK(networking::set_link_up(*inside_, "eth0"));
  ASSERT_NO_FATAL_FAILURE(expect_reachable(v4(1), v4(2)));
}

TEST_F(BridgeVethTest, BridgeMadeWithoutMulticastSnoopingSaysSo) {
  links_->track(bridge_);
  const std::string snooping = "/sys/class/net/" + bridge_ + "/bridge/multicast_snooping";
  BERTH_ASSERT_OK(networking::create_bridge(*host_, bridge_, {.multicast_snooping = false}));
  auto off = read_file(snooping);
  ASSERT_TRUE(off.ok()) << off.error().message();
  EXPECT_EQ(trim(*off), "0");
}

TEST_F(BridgeVethTest, VethWithAMasterThatIsNoBridgeIsRefusedAndNotLeftBehind) {
  links_->track(veth_);
  auto lo = networking::find_link(*host_, "lo");
  ASSERT_TRUE(lo.ok()) << lo.error().message();
  Status s = networking::create_veth(*host_, veth_, "eth0", &*netns_, {.master = lo->index, .up = true});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("create veth " + veth_), std::string::npos) << s.error().message();
  EXPECT_TRUE(host_links_starting_with(veth_).empty());
  EXPECT_FALSE(networking::find_link(*inside_, "eth0").ok());
}

TEST_F(BridgeVethTest, NothingIsLeftOnTheHostAfterwards) {
  {
    HostLinks scoped(*host_);
    scoped.track(bridge_);
    scoped.track(veth_);
    BERTH_ASSERT_OK(networking::create_bridge(*host_, bridge_));
    BERTH_ASSERT_OK(networking::create_veth(*host_, veth_, "eth0", &*netns_));
  }
  EXPECT_TRUE(host_links_starting_with(bridge_).empty());
  EXPECT_TRUE(host_links_starting_with(veth_).empty());
  EXPECT_FALSE(networking::find_link(*inside_, "eth0").ok());
}

}  // namespace
}  // namespace berth::integration
