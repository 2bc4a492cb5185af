// Sockets the ports tests open, in their own process or in a forked child: TCP listeners, bound
// UDP sockets and connected ones on loopback (or the any-address), with the port and inode the
// kernel gave them. Test code only; every socket and child goes with its owner, no traffic
// leaves the host.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/fd.h"

namespace berth::isolators::ports::testing {

struct TestSocket {
  UniqueFd fd;
  uint16_t port = 0;
  uint64_t inode = 0;
};

enum class Role { kListen, kBindOnly, kConnectTo };

// A socket of `type` (SOCK_STREAM, SOCK_DGRAM) on a kernel-chosen port of 127.0.0.1 or ::1
// (`any` binds 0.0.0.0): listening, only bound, or connected to 127.0.0.1:`peer_port`.
// An invalid fd (with a test failure added, unless `quiet`) when the host cannot make it.
inline TestSocket open_socket(int family, int type, Role role, uint16_t peer_port = 0, bool any = false,
                              bool quiet = false) {
  TestSocket s;
  s.fd = UniqueFd(::socket(family, type | SOCK_CLOEXEC, 0));
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(any ? INADDR_ANY : INADDR_LOOPBACK);
    len = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = any ? in6addr_any : in6addr_loopback;
    len = sizeof(sockaddr_in6);
  }
  bool made = s.fd && ::bind(s.fd.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
              (role != Role::kListen || ::listen(s.fd.get(), 4) == 0);
  if (made && role == Role::kConnectTo) {
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    peer.sin_port = htons(peer_port);
    made = ::connect(s.fd.get(), reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0;
  }
  struct stat st {};
  made =
      made && ::getsockname(s.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0 && ::fstat(s.fd.get(), &st) == 0;
  if (!made) {
    if (!quiet) ADD_FAILURE() << "could not make a test socket: " << std::strerror(errno);
    s.fd.reset();
    return s;
  }
  s.port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&addr)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  s.inode = st.st_ino;
  return s;
}

// A forked child that holds a TCP listener on loopback (or no socket at all) until it goes
// away. Make it before opening sockets in this process: it inherits whatever is open.
class ChildProcess {
 public:
  explicit ChildProcess(bool listen) {
    int ready[2];
    int hold[2];
    if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(hold, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(hold[1]);
      uint16_t port = 0;
      TestSocket s;
      if (listen) s = open_socket(AF_INET, SOCK_STREAM, Role::kListen, 0, false, /*quiet=*/true);
      port = s.port;
      (void)!::write(ready[1], &port, sizeof port);
      char c = 0;
      (void)!::read(hold[0], &c, 1);  // until the parent closes its end
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(hold[0]);
    hold_ = UniqueFd(hold[1]);
    if (::read(ready[0], &port_, sizeof port_) != sizeof port_) port_ = 0;
    ::close(ready[0]);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    hold_.reset();
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  UniqueFd hold_;
};

}  // namespace berth::isolators::ports::testing
