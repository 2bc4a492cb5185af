// The sync channel between the runtime (parent) and a container's init (child): a
// SOCK_SEQPACKET pair carrying small typed messages, so each side knows where the
// other is and an init failure reaches the parent with its message intact.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::rt {

enum class SyncType : uint32_t {
  kGo = 1,             // parent -> init: id maps written: carry on
  kCgroupsJoined = 7,  // parent -> init: now in its cgroups (a cgroup namespace may be made)
  kReadyForHooks = 2,  // init -> parent: mounts made, run prestart/createRuntime hooks now
  kHooksDone = 3,      // parent -> init: payload = state JSON for the in-container hooks
  kCreated = 4,        // init -> parent: waiting for `start`
  kError = 5,          // init -> parent: payload = errno (4 bytes) + message
  kSeccompFd = 6,      // init -> parent: a seccomp listener fd rides along (SCM_RIGHTS)
};

struct SyncMessage {
  SyncType type = SyncType::kError;
  std::string payload;
  int fd = -1;  // received fd, when one rode along
};

Status sync_send(int fd, SyncType type, std::string_view payload = {}, int pass_fd = -1);
// Blocks for the next message; EOF is an error naming `peer`.
Result<SyncMessage> sync_receive(int fd, std::string_view peer);
// Receives and checks the type; a kError message is turned back into its Error.
Result<SyncMessage> sync_expect(int fd, SyncType type, std::string_view peer);

// The Error carried by a kError message (errno, then the text).
Error sync_error(const SyncMessage& m);

// Sends `fd` over a connected unix socket with SCM_RIGHTS (console and seccomp sockets).
Status send_fd(int socket, int fd, std::string_view name);

}  // namespace berth::rt
