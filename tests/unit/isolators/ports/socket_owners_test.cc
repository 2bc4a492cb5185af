// Finding the sockets a container's processes hold when it shares the host's network: link
// targets in /proc/<pid>/fd, a process's sockets, processes that are gone, and the process tree
// of an init that has no cgroup.
#include "isolators/ports/socket_owners.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/file.h"
#include "tests/unit/isolators/ports/test_sockets.h"

namespace berth::isolators::ports {
namespace {

using testing::ChildProcess;
using testing::open_socket;
using testing::Role;
using testing::TestSocket;

bool has(const std::vector<pid_t>& pids, pid_t pid) { return std::find(pids.begin(), pids.end(), pid) != pids.end(); }

TEST(SocketOwners, SocketLinkTargetsGiveTheirInode) {
  EXPECT_EQ(socket_inode_of_link("socket:[12345]"), 12345U);
  EXPECT_FALSE(socket_inode_of_link("pipe:[12345]").has_value());
  EXPECT_FALSE(socket_inode_of_link("socket:[]").has_value());
  EXPECT_FALSE(socket_inode_of_link("socket:[12a]").has_value());
  EXPECT_FALSE(socket_inode_of_link("socket:[12").has_value());
  EXPECT_FALSE(socket_inode_of_link("/tmp/socket:[1]").has_value());
}

TEST(SocketOwners, SocketsAProcessHoldsAreFoundAndOthersAreNot) {
  ChildProcess child(/*listen=*/true);
  ASSERT_NE(child.port(), 0);
  TestSocket ours = open_socket(AF_INET, SOCK_DGRAM, Role::kBindOnly);
  auto inodes = socket_inodes({::getpid()});
  ASSERT_TRUE(inodes.ok()) << inodes.error().message();
  EXPECT_TRUE(inodes->contains(ours.inode));
  auto childs = socket_inodes({child.pid()});
  ASSERT_TRUE(childs.ok()) << childs.error().message();
  EXPECT_FALSE(childs->contains(ours.inode)) << "a socket opened after the fork is the parent's alone";
  EXPECT_FALSE(childs->empty());
}

TEST(SocketOwners, AProcessThatIsGoneIsSkipped) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::waitpid(pid, nullptr, 0), pid);
  auto inodes = socket_inodes({pid});
  ASSERT_TRUE(inodes.ok()) << inodes.error().message();
  EXPECT_TRUE(inodes->empty());
  EXPECT_TRUE(process_tree(pid).empty());
}

TEST(SocketOwners, WithoutACgroupTheInitsProcessTreeCounts) {
  if (!path_exists("/proc/self/task/" + std::to_string(::gettid()) + "/children")) {
    GTEST_SKIP() << "the kernel has no /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN)";
  }
  ChildProcess child(/*listen=*/false);
  ASSERT_GT(child.pid(), 0);
  auto pids = container_processes(nullptr, "", ::getpid());
  ASSERT_TRUE(pids.ok()) << pids.error().message();
  EXPECT_TRUE(has(*pids, ::getpid()));
  EXPECT_TRUE(has(*pids, child.pid())) << "the init's child was not counted";
  EXPECT_EQ(process_tree(child.pid()), std::vector<pid_t>{child.pid()});
}

}  // namespace
}  // namespace berth::isolators::ports
