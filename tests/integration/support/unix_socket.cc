#include "tests/integration/support/unix_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace berth::integration {
namespace {

bool readable_within(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

}  // namespace

UniqueFd listen_unix(const std::string& path, int backlog, std::string& error) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (!fd || path.size() >= sizeof addr.sun_path) {
    error = "socket";
    return {};
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd.get(), backlog) != 0) {
    error = std::string("bind/listen ") + path + ": " + std::strerror(errno);
    return {};
  }
  return fd;
}

UniqueFd accept_within(int listener, std::chrono::milliseconds timeout, std::string& error) {
  if (!readable_within(listener, timeout)) {
    error = "nobody connected to the socket";
    return {};
  }
  UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) error = std::string("accept: ") + std::strerror(errno);
  return conn;
}

UniqueFd receive_fd(int conn, std::chrono::milliseconds timeout, size_t max_bytes, std::string& message,
                    std::string& error) {
  if (!readable_within(conn, timeout)) {
    error = "no message on the socket";
    return {};
  }
  std::vector<char> data(max_bytes);
  iovec iov{data.data(), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) {
    error = std::string("recvmsg: ") + std::strerror(errno);
    return {};
  }
  message.assign(data.data(), static_cast<size_t>(n));
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
      return UniqueFd(fd);
    }
  }
  error = "the message carried no fd";
  return {};
}

}  // namespace berth::integration
