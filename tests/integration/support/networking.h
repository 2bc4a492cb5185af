// Support for the networking integration tests: a temp state dir whose netns pins are all
// removed at the end, names that start with "berth" and fit IFNAMSIZ, links deleted at the
// end even when a test fails, and TCP probes between the host and a namespace. Test code
// only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"
#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/netlink/rtnl_socket.h"
#include "networking/netns/netns.h"
#include "networking/netns/netns_store.h"

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
