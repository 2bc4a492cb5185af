// Support for the networking integration tests: names that start with "berth" and fit
// IFNAMSIZ, a temp state dir whose netns pins are all removed at the end, links deleted at the
// end even when a test fails, named namespaces behind a veth (built with `ip`, independent of
// berth's netlink code), sysctls put back as they were, and TCP/UDP listeners, clients and an
// echo server that run in a namespace. Test code only: everything it makes goes away with its
// owner, even when the test fails half-way.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "common/file.h"
#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/netlink/rtnl_socket.h"
#include "networking/netns/netns.h"
#include "networking/netns/netns_store.h"
#include "tests/integration/support/fixture.h"

// Asserts that a Status or Result is ok, printing its error otherwise.
#define BERTH_ASSERT_OK(expr)                                                 \
  do {                                                                        \
    const auto& berth_assert_ok_ = (expr);                                    \
    ASSERT_TRUE(berth_assert_ok_.ok()) << berth_assert_ok_.error().message(); \
  } while (0)

namespace berth::integration {

// "berth-<tag><pid>": unique to this process, at most 15 characters for a 1-letter tag.
std::string berth_name(std::string_view tag);

// /tmp/berth-it-net-XXXXXX holding a NetnsStore; every pin is removed, then the dir.
class NetnsStateDir {
 public:
  NetnsStateDir();
  // Only std::bad_alloc could escape (from a failure message): terminating is then right.
  ~NetnsStateDir();  // NOLINT(bugprone-exception-escape)
  NetnsStateDir(const NetnsStateDir&) = delete;
  NetnsStateDir& operator=(const NetnsStateDir&) = delete;
  NetnsStateDir(NetnsStateDir&&) = delete;
  NetnsStateDir& operator=(NetnsStateDir&&) = delete;

  [[nodiscard]] bool ok() const { return !dir_.empty(); }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  networking::NetnsStore& store() { return store_; }

 private:
  std::string dir_;
  networking::NetnsStore store_;
};

// The mount points under `state`'s pin folder, the folder's own shared mount left out.
std::vector<std::string> pin_mounts(NetnsStateDir& state);

// Host links to delete when the test ends, whatever happened (a veth's peer goes with it).
class HostLinks {
 public:
  explicit HostLinks(networking::RtnlSocket& nl) : nl_(nl) {}
  // As ~NetnsStateDir.
  ~HostLinks();  // NOLINT(bugprone-exception-escape)
  HostLinks(const HostLinks&) = delete;
  HostLinks& operator=(const HostLinks&) = delete;
  HostLinks(HostLinks&&) = delete;
  HostLinks& operator=(HostLinks&&) = delete;

  void track(const std::string& name) { names_.push_back(name); }

 private:
  networking::RtnlSocket& nl_;
  std::vector<std::string> names_;
};

// The names of the host's links that start with `prefix`.
std::vector<std::string> host_links_starting_with(std::string_view prefix);
// How many fds this process has open.
int open_fd_count();

// A sysctl (its /proc/sys path, "net/ipv4/ip_forward") set for the test and put back after.
class SysctlOverride {
 public:
  SysctlOverride(std::string key, const std::string& value);
  ~SysctlOverride();
  SysctlOverride(const SysctlOverride&) = delete;
  SysctlOverride& operator=(const SysctlOverride&) = delete;
  SysctlOverride(SysctlOverride&&) = delete;
  SysctlOverride& operator=(SysctlOverride&&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string saved_;
  std::string error_;
};

// `ip netns add <name>`, deleted again by the destructor: a namespace that CNI plugins and
// `ip -n` can name.
class NamedNetns {
 public:
  explicit NamedNetns(std::string name);
  ~NamedNetns();
  NamedNetns(const NamedNetns&) = delete;
  NamedNetns& operator=(const NamedNetns&) = delete;
  NamedNetns(NamedNetns&&) = delete;
  NamedNetns& operator=(NamedNetns&&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  // /run/netns/<name>.
  [[nodiscard]] std::string path() const { return "/run/netns/" + name_; }
  // path(), open.
  [[nodiscard]] int fd() const { return fd_.get(); }
  // `ip netns exec <name> argv...`.
  [[nodiscard]] RunResult run(const std::vector<std::string>& argv) const;

 private:
  std::string name_;
  std::string error_;
  bool created_ = false;
  UniqueFd fd_;
};

// A NamedNetns plus a veth pair: <host_if> in the host namespace with host_cidr, eth0 inside
// with peer_cidr and a default route through host_cidr's address. Deleted (namespace and
// veth) by the destructor.
class VethNamespace {
 public:
  VethNamespace(std::string name, std::string host_if, const std::string& host_cidr, const std::string& peer_cidr);
  ~VethNamespace();
  VethNamespace(const VethNamespace&) = delete;
  VethNamespace& operator=(const VethNamespace&) = delete;
  VethNamespace(VethNamespace&&) = delete;
  VethNamespace& operator=(VethNamespace&&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] const std::string& name() const { return netns_.name(); }
  // Adds IPv6 addresses (without duplicate address detection) and a default route, as above,
  // and waits until the link-local addresses are usable.
  bool add_ipv6(const std::string& host_cidr, const std::string& peer_cidr);
  [[nodiscard]] const std::string& host_if() const { return host_if_; }
  // /run/netns/<name>, open.
  [[nodiscard]] int fd() const { return netns_.fd(); }

 private:
  NamedNetns netns_;
  std::string host_if_;
  std::string error_;
};

enum class SocketKind : uint8_t { kTcp, kUdp };

// A socket (AF_INET or AF_INET6) made in the namespace `netns_fd` refers to (-1: the
// caller's): a short thread enters it, so the calling thread never changes namespace.
Result<UniqueFd> socket_in(int netns_fd, SocketKind kind, int family = AF_INET);

// Answers "pong <what it got>" to each TCP connection and UDP datagram on `port` (all IPv4
// and IPv6 addresses) inside the namespace, until destroyed.
class EchoServer {
 public:
  EchoServer(int netns_fd, uint16_t port);
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  EchoServer(EchoServer&&) = delete;
  EchoServer& operator=(EchoServer&&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  // The source address of the last connection or datagram served ("" before any).
  [[nodiscard]] std::string last_peer() const;

 private:
  void serve();
  void serve_tcp(int listener);
  void serve_udp(int socket);
  void note_peer(const networking::SocketAddress& from);

  std::string error_;
  UniqueFd tcp_;
  UniqueFd udp_;
  UniqueFd tcp6_;
  UniqueFd udp6_;
  UniqueFd stop_read_;
  UniqueFd stop_write_;
  mutable std::mutex mutex_;
  std::string last_peer_;
  std::thread thread_;
};

// Sends `message` from a socket in `netns_fd` (-1: the caller's) to address:port (IPv4 or
// IPv6) and returns the answer; an error (refused, timed out) otherwise. Two seconds at most.
Result<std::string> exchange(int netns_fd, SocketKind kind, const std::string& address, uint16_t port,
                             const std::string& message);

// A port nothing on the host holds now (the kernel's pick for an ephemeral bind).
Result<uint16_t> free_host_port(SocketKind kind);

struct TcpListener {
  UniqueFd fd;
  uint16_t port = 0;
};
// A TCP listener on `address`, a free port, in the calling thread's namespace.
Result<TcpListener> listen_tcp(const networking::IpAddress& address);
// Connects to address:port from a thread inside `netns`, retrying until `timeout` (a link
// may need a moment to come up); the connection is closed again.
Status connect_from(const networking::Netns& netns, const networking::IpAddress& address, uint16_t port,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
// Accepts one connection on `listener` within `timeout`; its peer's address.
Result<networking::IpAddress> accept_peer(const TcpListener& listener,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace berth::integration

// Skips the current test unless the kernel has IPv6 (it is absent with ipv6.disable=1).
// NOLINTNEXTLINE(readability-identifier-naming): named like the function it reads as.
#define skip_unless_ipv6()                                                                              \
  do {                                                                                                  \
    if (!::berth::path_exists("/proc/sys/net/ipv6")) GTEST_SKIP() << "IPv6 is disabled in this kernel"; \
  } while (0)
