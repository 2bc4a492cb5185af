// Terminals for containers: a pty made inside the container's devpts, its master sent
// to the caller's console socket (SCM_RIGHTS, as runc does), its slave made the process's
// controlling terminal and stdio.
#pragma once

#include <optional>
#include <string>

#include "common/fd.h"
#include "common/result.h"
#include "runtime/oci/spec.h"

namespace berth::rt {

// Connects to the console socket at `path` (a unix stream socket the caller listens on).
Result<UniqueFd> connect_console_socket(const std::string& path);

// In the child: opens /dev/ptmx, sends the master over `socket_fd`, binds the slave on
// /dev/console when `bind_console`, and makes the slave fds 0-2 and the controlling tty.
Status setup_console(int socket_fd, bool bind_console, const std::optional<oci::ConsoleSize>& size);

// Receives a pty master sent with SCM_RIGHTS on `socket_fd`.
Result<UniqueFd> receive_pty_master(int socket_fd);
// Copies our stdin to `master` and `master` to our stdout until the pty closes (the
// container's processes are gone), with our terminal in raw mode while it runs.
void proxy_pty(int master);

}  // namespace berth::rt
