// Unix sockets as a container engine holds them to receive an fd from the runtime: a pty
// master on --console-socket, a seccomp listener on linux.seccomp.listenerPath. Test code
// only: each call waits at most its timeout and says why it failed.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "common/fd.h"

namespace berth::integration {

// A SOCK_STREAM unix socket bound to `path` and listening; on failure an invalid fd and
// `error` says why.
UniqueFd listen_unix(const std::string& path, int backlog, std::string& error);

// Accepts one connection on `listener` within `timeout`.
UniqueFd accept_within(int listener, std::chrono::milliseconds timeout, std::string& error);

// Receives one message on `conn` within `timeout`: its bytes (at most `max_bytes`) into
// `message`, and the fd it carries (SCM_RIGHTS), which is returned.
UniqueFd receive_fd(int conn, std::chrono::milliseconds timeout, size_t max_bytes, std::string& message,
                    std::string& error);

}  // namespace berth::integration
