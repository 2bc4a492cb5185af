// Listing listeners with sock_diag in this test process's own network namespace (no root):
// TCP listeners and bound UDP sockets are found with their port and inode, sockets that do not
// listen are not; with root, a namespace fd shows that namespace's sockets and no others.
#include "isolators/ports/sock_diag.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <vector>

#include "tests/unit/isolators/ports/test_sockets.h"

namespace berth::isolators::ports {
namespace {

using testing::open_socket;
using testing::Role;
using testing::TestSocket;

std::vector<Listener> listeners_here() {
  auto diag = SockDiag::open();
  EXPECT_TRUE(diag.ok()) << diag.error().message();
  if (!diag) return {};
  auto listeners = diag->listeners();
  EXPECT_TRUE(listeners.ok()) << listeners.error().message();
  return listeners ? *listeners : std::vector<Listener>{};
}

bool has_inode(const std::vector<Listener>& listeners, uint64_t inode) {
  return std::any_of(listeners.begin(), listeners.end(), [&](const Listener& l) { return l.inode == inode; });
}

TEST(SockDiag, TcpListenerOnLoopbackIsListedWithItsPortAndInode) {
  TestSocket s = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  ASSERT_TRUE(s.fd);
  auto listeners = listeners_here();
  auto it = std::find_if(listeners.begin(), listeners.end(), [&](const Listener& l) { return l.inode == s.inode; });
  ASSERT_NE(it, listeners.end()) << "port " << s.port << " (inode " << s.inode << ") not listed";
  EXPECT_EQ(*it, (Listener{Transport::kTcp, AF_INET, s.port, s.inode}));
}

TEST(SockDiag, BoundUdpSocketIsListed) {
  TestSocket s = open_socket(AF_INET, SOCK_DGRAM, Role::kBindOnly);
  ASSERT_TRUE(s.fd);
  auto listeners = listeners_here();
  auto it = std::find_if(listeners.begin(), listeners.end(), [&](const Listener& l) { return l.inode == s.inode; });
  ASSERT_NE(it, listeners.end()) << "udp port " << s.port << " not listed";
  EXPECT_EQ(*it, (Listener{Transport::kUdp, AF_INET, s.port, s.inode}));
}

TEST(SockDiag, Ipv6ListenerIsListedAsIpv6) {
  TestSocket s = open_socket(AF_INET6, SOCK_STREAM, Role::kListen, 0, false, /*quiet=*/true);
  if (!s.fd) GTEST_SKIP() << "no IPv6 loopback here";
  auto listeners = listeners_here();
  EXPECT_TRUE(std::count(listeners.begin(), listeners.end(), Listener{Transport::kTcp, AF_INET6, s.port, s.inode}))
      << "tcp6 port " << s.port << " not listed";
}

TEST(SockDiag, SocketsThatDoNotListenAreNotListed) {
  TestSocket listener = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  TestSocket bound_tcp = open_socket(AF_INET, SOCK_STREAM, Role::kBindOnly);
  TestSocket client = open_socket(AF_INET, SOCK_STREAM, Role::kConnectTo, listener.port);
  TestSocket connected_udp = open_socket(AF_INET, SOCK_DGRAM, Role::kConnectTo, listener.port);
  ASSERT_TRUE(listener.fd && bound_tcp.fd && client.fd && connected_udp.fd);
  auto listeners = listeners_here();
  EXPECT_TRUE(has_inode(listeners, listener.inode));
  EXPECT_FALSE(has_inode(listeners, bound_tcp.inode)) << "a bound TCP socket that does not listen";
  EXPECT_FALSE(has_inode(listeners, client.inode)) << "a connected TCP client";
  EXPECT_FALSE(has_inode(listeners, connected_udp.inode)) << "a connected UDP socket";
}

TEST(SockDiag, ClosedListenerIsNoLongerListed) {
  TestSocket s = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  ASSERT_TRUE(s.fd);
  ASSERT_TRUE(has_inode(listeners_here(), s.inode));
  s.fd.reset();
  EXPECT_FALSE(has_inode(listeners_here(), s.inode));
}

TEST(SockDiag, OpeningInSomethingThatIsNoNamespaceNamesSetns) {
  UniqueFd not_a_namespace(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(not_a_namespace);
  auto diag = SockDiag::open_in(not_a_namespace.get());
  ASSERT_FALSE(diag.ok());
  EXPECT_NE(diag.error().message().find("setns(CLONE_NEWNET): "), std::string::npos) << diag.error().message();
}

// A fresh network namespace, made by a thread that leaves behind its namespace fd and a TCP
// listener on 0.0.0.0 inside it (loopback there is down; nothing can reach it).
struct OtherNamespace {
  UniqueFd netns;
  TestSocket listener;
  int error = 0;
};

OtherNamespace make_other_namespace() {
  OtherNamespace other;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      other.error = errno;
      return;
    }
    other.netns = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    other.listener = open_socket(AF_INET, SOCK_STREAM, Role::kListen, 0, /*any=*/true);
  }).join();
  return other;
}

TEST(SockDiag, ANamespaceFdShowsThatNamespacesSocketsOnly) {
  if (::geteuid() != 0) GTEST_SKIP() << "making a network namespace needs root";
  TestSocket here = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  OtherNamespace other = make_other_namespace();
  ASSERT_EQ(other.error, 0) << std::strerror(other.error);
  ASSERT_TRUE(other.netns && other.listener.fd);

  auto diag = SockDiag::open_in(other.netns.get());
  ASSERT_TRUE(diag.ok()) << diag.error().message();
  auto inside = diag->listeners();
  ASSERT_TRUE(inside.ok()) << inside.error().message();
  EXPECT_EQ(*inside, (std::vector<Listener>{{Transport::kTcp, AF_INET, other.listener.port, other.listener.inode}}));
  EXPECT_FALSE(has_inode(listeners_here(), other.listener.inode)) << "the other namespace's socket seen here";
  EXPECT_TRUE(has_inode(listeners_here(), here.inode)) << "open_in moved this thread out of its namespace";
}

}  // namespace
}  // namespace berth::isolators::ports
