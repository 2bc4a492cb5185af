// Repeated container network set-up and tear-down leaves nothing behind (root, real kernel):
// 200 cycles of pinning a namespace, creating a veth with its peer inside as eth0,
// attaching it to a bridge, detaching and deleting it and removing the pin leave no berth
// link, no mount under the state dir and no extra fd in this process.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "common/strings.h"
#include "networking/netlink/links.h"
#include "networking/netlink/rtnl_socket.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/networking.h"

namespace berth::integration {
namespace {

using networking::RtnlSocket;

constexpr int kCycles = 200;
constexpr auto kBudget = std::chrono::seconds(20);

// One cycle; every step's error names what failed.
Status attach_and_detach(RtnlSocket& host, networking::NetnsStore& store, const std::string& netns_name,
                         const std::string& bridge, const std::string& veth) {
  {
    BERTH_ASSIGN(networking::Netns netns, store.create(netns_name));
    BERTH_TRY(networking::create_veth(host, veth, "eth0", &netns));
    BERTH_ASSIGN(RtnlSocket inside, RtnlSocket::open_in(netns));
    BERTH_TRY(networking::set_link_up(inside, "eth0"));
    BERTH_TRY(networking::set_link_master(host, veth, bridge));
    BERTH_TRY(networking::set_link_up(host, veth));
    BERTH_TRY(networking::clear_link_master(host, veth));
    BERTH_TRY(networking::delete_link(host, veth));
  }
  return store.remove(netns_name);
}

TEST(NetworkingLeak, ManyAttachDetachCyclesLeaveNoLinkMountOrFd) {
  skip_unless_root();
  std::optional<NetnsStateDir> state_dir(std::in_place);
  NetnsStateDir& state = *state_dir;
  ASSERT_TRUE(state.ok());
  const std::string dir = state.dir();
  const std::string bridge = berth_name("l");
  const std::string veth = berth_name("w");
  const std::string netns_name = berth_name("l");
  {
    auto host = RtnlSocket::open();
    ASSERT_TRUE(host.ok()) << host.error().message();
    HostLinks links(*host);
    links.track(bridge);
    links.track(veth);
    BERTH_ASSERT_OK(networking::create_bridge(*host, bridge));

    const int fds_before = open_fd_count();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCycles; ++i) {
      Status cycle = attach_and_detach(*host, state.store(), netns_name, bridge, veth);
      ASSERT_TRUE(cycle.ok()) << "cycle " << i << ": " << cycle.error().message();
    }
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, kBudget) << kCycles << " cycles took "
                             << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    EXPECT_EQ(open_fd_count(), fds_before);
    EXPECT_TRUE(host_links_starting_with(veth).empty()) << join(host_links_starting_with(veth), ", ");
    EXPECT_TRUE(pin_mounts(state).empty()) << join(pin_mounts(state), ", ");
    EXPECT_TRUE(state.store().list()->empty());
  }
  EXPECT_TRUE(host_links_starting_with(bridge).empty());
  state_dir.reset();
  EXPECT_TRUE(mount_points_under(dir).empty()) << join(mount_points_under(dir), ", ");
}

}  // namespace
}  // namespace berth::integration
