// Handles on network namespaces: a process's namespace opened as an fd (/proc/<pid>/ns/net)
// and the identity (device, inode) that tells two namespaces apart. Opens and stats only:
// never enters, creates or changes a namespace.
#pragma once

#include <sys/types.h>

#include "common/fd.h"
#include "common/result.h"

namespace berth::isolators::ports {

struct NamespaceId {
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const NamespaceId&, const NamespaceId&) = default;
};

// The network namespace of `pid`, held open (the namespace lives as long as the fd does).
Result<UniqueFd> open_netns(pid_t pid);
// What namespace `fd` refers to.
Result<NamespaceId> namespace_id(int fd);
// The namespace of the calling thread (/proc/thread-self/ns/net).
Result<NamespaceId> own_netns_id();

}  // namespace berth::isolators::ports
