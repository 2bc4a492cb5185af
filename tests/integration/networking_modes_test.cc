// Network modes without a bridge, seen by a real process (`ip` run through nsenter on the
// namespace the mode gave): `none` has only lo, up; `container:<id>` shows exactly what the
// target container's namespace has; `host` is the caller's namespace. Every namespace is
// pinned in a private state dir and removed at the end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "common/strings.h"
#include "networking/addr/ip_address.h"
#include "networking/modes/network_mode.h"
#include "networking/netlink/addresses.h"
#include "networking/netlink/links.h"
#include "networking/netlink/rtnl_socket.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/networking.h"

namespace berth::integration {
namespace {

using networking::ModeNamespace;
using networking::NetworkMode;
using networking::NetworkModeKind;

class NetworkModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    if (!run_cmd({"nsenter", "--version"}).ok() || !run_cmd({"ip", "-V"}).ok()) {
      GTEST_SKIP() << "needs nsenter and ip to look inside as a process";
    }
    ASSERT_TRUE(state_.ok());
  }

  // What `ip -o <what>` prints in a process that entered `ns`.
  static std::string seen_from(const ModeNamespace& ns, const std::string& what) {
    const std::string path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(ns.netns.fd());
    RunResult r = run_cmd({"nsenter", "--net=" + path, "ip", "-o", what});
    EXPECT_TRUE(r.ok()) << r;
    return r.out;
  }

  NetnsStateDir state_;
  const std::string id_ = berth_name("m");
};

TEST_F(NetworkModeTest, NoneHasOnlyLoopbackUp) {
  auto entered = enter_network_mode({NetworkModeKind::kNone, {}}, state_.store(), id_);
  ASSERT_TRUE(entered.ok()) << entered.error().message();
  EXPECT_TRUE(entered->own);
  const std::vector<std::string> links = split(std::string(trim(seen_from(*entered, "link"))), '\n');
  ASSERT_EQ(links.size(), 1U) << seen_from(*entered, "link");
  EXPECT_NE(links[0].find(": lo:"), std::string::npos) << links[0];
  EXPECT_NE(links[0].find(",UP"), std::string::npos) << "lo is not up: " << links[0];
  EXPECT_NE(seen_from(*entered, "addr").find("127.0.0.1/8"), std::string::npos);
  auto again = enter_network_mode({NetworkModeKind::kNone, {}}, state_.store(), id_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), EEXIST) << again.error().message();
  ASSERT_TRUE(release_network_mode({NetworkModeKind::kNone, {}}, state_.store(), id_).ok());
  EXPECT_TRUE(state_.store().list()->empty()) << "the pin of mode none was left behind";
  EXPECT_TRUE(release_network_mode({NetworkModeKind::kNone, {}}, state_.store(), id_).ok()) << "idempotent";
}

TEST_F(NetworkModeTest, JoinSeesTheTargetsLinksAndAddresses) {
  const std::string target = id_ + "t";
  auto pinned = state_.store().create(target);
  ASSERT_TRUE(pinned.ok()) << pinned.error().message();
  {
    auto nl = networking::RtnlSocket::open_in(*pinned);
    ASSERT_TRUE(nl.ok()) << nl.error().message();
    ASSERT_TRUE(networking::create_bridge(*nl, "berthj0").ok());
    ASSERT_TRUE(networking::set_link_up(*nl, "berthj0").ok());
    auto address = networking::IpPrefix::parse("192.0.2.7/24").value();
    ASSERT_TRUE(networking::add_address(*nl, "berthj0", address).ok());
  }
  const NetworkMode mode{NetworkModeKind::kJoin, target};
  auto joined = enter_network_mode(mode, state_.store(), id_);
  ASSERT_TRUE(joined.ok()) << joined.error().message();
  EXPECT_FALSE(joined->own);
  EXPECT_EQ(*joined->netns.id(), *pinned->id());
  const ModeNamespace target_ns{networking::Netns::open(state_.store().path(target)).value(), false};
  const std::string links = seen_from(*joined, "link");
  EXPECT_EQ(links, seen_from(target_ns, "link"));
  EXPECT_NE(links.find("berthj0"), std::string::npos) << links;
  const std::string addresses = seen_from(*joined, "addr");
  EXPECT_EQ(addresses, seen_from(target_ns, "addr"));
  EXPECT_NE(addresses.find("192.0.2.7/24"), std::string::npos) << addresses;
  ASSERT_TRUE(release_network_mode(mode, state_.store(), id_).ok());
  EXPECT_EQ(*state_.store().list(), std::vector<std::string>{target}) << "joining must not unpin the target";
}

TEST_F(NetworkModeTest, JoiningAContainerWithoutANamespaceIsRefusedNamingIt) {
  auto joined = enter_network_mode({NetworkModeKind::kJoin, "berth-absent"}, state_.store(), id_);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code(), ENOENT);
  EXPECT_NE(joined.error().message().find("container \"berth-absent\" has no network namespace to join (no pin at " +
                                          state_.store().path("berth-absent") + ")"),
            std::string::npos)
      << joined.error().message();
  auto self = enter_network_mode({NetworkModeKind::kJoin, id_}, state_.store(), id_);
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.error().message().find("cannot join its own"), std::string::npos) << self.error().message();
}

TEST_F(NetworkModeTest, HostIsTheCallersNamespace) {
  auto entered = enter_network_mode({NetworkModeKind::kHost, {}}, state_.store(), id_);
  ASSERT_TRUE(entered.ok()) << entered.error().message();
  EXPECT_FALSE(entered->own);
  EXPECT_EQ(*entered->netns.id(), *networking::own_netns_id());
  EXPECT_EQ(seen_from(*entered, "link"), run_cmd({"ip", "-o", "link"}).out);
  ASSERT_TRUE(release_network_mode({NetworkModeKind::kHost, {}}, state_.store(), id_).ok());
  EXPECT_TRUE(state_.store().list()->empty());
}

}  // namespace
}  // namespace berth::integration
