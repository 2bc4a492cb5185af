#include "tests/integration/support/console_socket.h"

#include <poll.h>
#include <unistd.h>

#include <array>
#include <utility>

#include "tests/integration/support/unix_socket.h"

namespace berth::integration {

using Clock = std::chrono::steady_clock;

ConsoleSocket::ConsoleSocket(std::string path) : path_(std::move(path)) { fd_ = listen_unix(path_, 4, error_); }

ConsoleSocket::~ConsoleSocket() { ::unlink(path_.c_str()); }

UniqueFd ConsoleSocket::receive(std::string& name, std::chrono::milliseconds timeout) {
  std::string error;
  UniqueFd conn = accept_within(fd_.get(), timeout, error);
  UniqueFd master;
  if (conn) master = receive_fd(conn.get(), timeout, 255, name, error);
  if (!master) error_ = "console socket " + path_ + ": " + error;
  return master;
}

UniqueFd ConsoleSocket::receive(std::chrono::milliseconds timeout) {
  std::string name;
  return receive(name, timeout);
}

bool read_until(int fd, std::string& into, const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (into.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    std::array<char, 4096> buf{};
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) return into.find(needle) != std::string::npos;  // EIO: the slave side is gone
    into.append(buf.data(), static_cast<size_t>(n));
  }
  return true;
}

}  // namespace berth::integration
