// The caller's side of --console-socket: a listening unix socket that receives the pty
// master of a container (or of an exec'd process) as a container engine's would, and a
// reader that waits for what the process writes to its terminal. Test code only.
#pragma once

#include <chrono>
#include <string>

#include "common/fd.h"

namespace berth::integration {

class ConsoleSocket {
 public:
  explicit ConsoleSocket(std::string path);
  ~ConsoleSocket();
  ConsoleSocket(const ConsoleSocket&) = delete;
  ConsoleSocket& operator=(const ConsoleSocket&) = delete;
  ConsoleSocket(ConsoleSocket&&) = delete;
  ConsoleSocket& operator=(ConsoleSocket&&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& error() const { return error_; }

  // Accepts a connection and receives the fd it sends (and the message, the pty's name);
  // an invalid fd when none came within `timeout`, and error() says why.
  UniqueFd receive(std::string& name, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  UniqueFd receive(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  std::string path_;
  UniqueFd fd_;
  std::string error_;
};

// Reads from `fd` into `into` until it holds `needle`, the other side closes, or the timeout.
bool read_until(int fd, std::string& into, const std::string& needle,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace berth::integration
