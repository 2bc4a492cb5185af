// Network namespaces pinned under a state dir, on the real kernel (root): a created namespace
// is a new, separate one that can be opened again by name until it is removed; removing is
// idempotent and leaves no mount; work "inside" it runs there without moving the caller; a
// sysctl set inside it does not change the host's.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string>

#include "common/file.h"
#include "common/strings.h"
#include "networking/netns/netns.h"
#include "networking/netns/netns_store.h"
#include "networking/netns/sysctl.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/networking.h"

namespace berth::integration {
namespace {

using networking::NamespaceId;
using networking::Netns;

class NetnsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    ASSERT_TRUE(state_.ok());
  }

  NetnsStateDir state_;
  const std::string name_ = berth_name("n");
};

TEST_F(NetnsStoreTest, CreatedNamespaceIsNewAndOpensAgainByName) {
  auto created = state_.store().create(name_);
  ASSERT_TRUE(created.ok()) << created.error().message();
  EXPECT_EQ(created->name(), name_);
  auto reopened = state_.store().open(name_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message();
  auto own = networking::own_netns_id();
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(*created->id(), *reopened->id());
  EXPECT_NE(*created->id(), *own) << "create() returned the caller's own namespace";
  EXPECT_EQ(*state_.store().list(), std::vector<std::string>{name_});
  EXPECT_EQ(pin_mounts(state_), std::vector<std::string>{state_.store().path(name_)});
}

TEST_F(NetnsStoreTest, CreatingATakenNameSaysFileExistsAndKeepsThePin) {
  auto first = state_.store().create(name_);
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto second = state_.store().create(name_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), EEXIST);
  EXPECT_EQ(second.error().message(), "create netns " + name_ + ": File exists");
  auto reopened = state_.store().open(name_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message();
  EXPECT_EQ(*reopened->id(), *first->id());
}

TEST_F(NetnsStoreTest, RemoveUnpinsAndIsIdempotent) {
  ASSERT_TRUE(state_.store().create(name_).ok());
  ASSERT_TRUE(state_.store().remove(name_).ok());
  EXPECT_TRUE(pin_mounts(state_).empty());
  EXPECT_FALSE(path_exists(state_.store().path(name_)));
  Status again = state_.store().remove(name_);
  EXPECT_TRUE(again.ok()) << again.error().message();
  auto reopened = state_.store().open(name_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.error().code(), ENOENT);
}

// A process that took a copy of the pin with a mount namespace of its own (a service, a
// container before pivot_root) must not keep a removed namespace alive: unlinking the pin
// detaches the copies too (Linux 3.18+), which unmounting alone would not.
TEST_F(NetnsStoreTest, RemovedPinIsGoneFromMountNamespacesMadeWhileItExisted) {
  ASSERT_TRUE(state_.store().create(name_).ok());
  const std::string pin = state_.store().path(name_);
  std::array<int, 2> ready{};
  std::array<int, 2> removed{};
  ASSERT_EQ(::pipe2(ready.data(), O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(removed.data(), O_CLOEXEC), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Exit status: 0 pin gone here too, 1 still mounted here, 2 set-up failed.
    char byte = 0;
    if (::unshare(CLONE_NEWNS) != 0 || ::write(ready[1], &byte, 1) != 1 || ::read(removed[0], &byte, 1) != 1) {
      ::_exit(2);
    }
    auto mountinfo = read_file("/proc/self/mountinfo");
    if (!mountinfo) ::_exit(2);
    ::_exit(mountinfo->find(" " + pin + " ") == std::string::npos ? 0 : 1);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  Status unpinned = state_.store().remove(name_);
  ASSERT_EQ(::write(removed[1], &byte, 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(unpinned.ok()) << unpinned.error().message();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the pin outlived remove() in the child's mount namespace";
  for (int fd : {ready[0], ready[1], removed[0], removed[1]}) ::close(fd);
}

TEST_F(NetnsStoreTest, AHandleKeepsTheNamespaceAfterItIsUnpinned) {
  auto created = state_.store().create(name_);
  ASSERT_TRUE(created.ok()) << created.error().message();
  ASSERT_TRUE(state_.store().remove(name_).ok());
  auto inside = networking::in_netns(*created, [] { return networking::own_netns_id(); });
  ASSERT_TRUE(inside.ok()) << inside.error().message();
  EXPECT_EQ(*inside, *created->id());
}

TEST_F(NetnsStoreTest, WorkInsideRunsThereAndLeavesTheCallerWhereItWas) {
  auto created = state_.store().create(name_);
  ASSERT_TRUE(created.ok()) << created.error().message();
  const NamespaceId before = *networking::own_netns_id();
  auto inside = networking::in_netns(*created, [] { return networking::own_netns_id(); });
  ASSERT_TRUE(inside.ok()) << inside.error().message();
  EXPECT_EQ(*inside, *created->id());
  EXPECT_EQ(*networking::own_netns_id(), before);
}

TEST_F(NetnsStoreTest, SysctlSetInsideDoesNotChangeTheHosts) {
  auto created = state_.store().create(name_);
  ASSERT_TRUE(created.ok()) << created.error().message();
  auto host = Netns::current();
  ASSERT_TRUE(host.ok()) << host.error().message();
  const std::string key = "net.ipv4.ip_forward";
  auto host_before = networking::read_sysctl(*host, key);
  ASSERT_TRUE(host_before.ok()) << host_before.error().message();
  const std::string flipped = *host_before == "1" ? "0" : "1";

  Status written = networking::write_sysctl(*created, key, flipped);
  ASSERT_TRUE(written.ok()) << written.error().message();
  EXPECT_EQ(*networking::read_sysctl(*created, key), flipped);
  EXPECT_EQ(*networking::read_sysctl(*host, key), *host_before);
  EXPECT_EQ(trim(*read_file("/proc/sys/net/ipv4/ip_forward")), *host_before);
}

TEST_F(NetnsStoreTest, WritingAMissingSysctlNamesKeyAndNamespace) {
  auto created = state_.store().create(name_);
  ASSERT_TRUE(created.ok()) << created.error().message();
  Status written = networking::write_sysctl(*created, "net.ipv6.conf.berth-none.accept_dad", "0");
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().message(), "write sysctl net.ipv6.conf.berth-none.accept_dad=0 in netns " + name_ +
                                           ": open /proc/sys/net/ipv6/conf/berth-none/accept_dad: No such file or "
                                           "directory");
}

}  // namespace
}  // namespace berth::integration
