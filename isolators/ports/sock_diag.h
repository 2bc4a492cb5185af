// The sockets listening in one network namespace, asked of the kernel with sock_diag netlink
// (SOCK_DIAG_BY_FAMILY dumps, built and parsed with libmnl). Reads only: it never touches a
// listed socket, and the calling thread never changes namespace (a short-lived thread of its
// own enters another namespace just to make the netlink socket there).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/fd.h"
#include "common/result.h"

namespace berth::isolators::ports {

enum class Transport : uint8_t { kTcp, kUdp };
// "tcp", "udp".
std::string_view transport_name(Transport t);

// A TCP socket in LISTEN, or a bound UDP socket that is not connected.
struct Listener {
  Transport transport = Transport::kTcp;
  int family = 0;  // AF_INET or AF_INET6
  uint16_t port = 0;
  uint64_t inode = 0;  // the socket's inode: `socket:[inode]` in /proc/<pid>/fd of its holders
  friend bool operator==(const Listener&, const Listener&) = default;
};

class SockDiag {
 public:
  // A sock_diag socket in the calling thread's network namespace.
  static Result<SockDiag> open();
  // A sock_diag socket in the namespace `netns_fd` refers to: a thread of its own enters the
  // namespace (setns, needs CAP_SYS_ADMIN over it) and makes the socket, which stays bound to
  // that namespace after the thread has gone.
  static Result<SockDiag> open_in(int netns_fd);

  // TCP sockets in LISTEN and unconnected bound UDP sockets, IPv4 and IPv6, in dump order.
  Result<std::vector<Listener>> listeners();

 private:
  explicit SockDiag(UniqueFd fd) : fd_(std::move(fd)) {}
  Status dump(uint8_t family, Transport transport, std::vector<Listener>& out);
  Status send_request(uint8_t family, Transport transport, uint32_t seq);

  UniqueFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace berth::isolators::ports
