// Which sockets a container's processes hold, for telling its listeners apart from the host's
// when it shares the host's network namespace: the container's processes (from its cgroup, or
// its init's process tree) and the `socket:[N]` links under their /proc/<pid>/fd. Reads /proc
// and cgroupfs only: never signals, enters or changes a process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "isolators/cgroups/hierarchy.h"

namespace berth::isolators::ports {

// The inode in a "socket:[12345]" link target; nullopt for anything else.
std::optional<uint64_t> socket_inode_of_link(std::string_view target);

// The inodes of the sockets that `pids` hold open. A process that exits meanwhile is skipped.
Result<std::set<uint64_t>> socket_inodes(const std::vector<pid_t>& pids);

// `pid` and its descendants, from /proc/<pid>/task/<tid>/children; only `pid` where the kernel
// has no such files. Empty when `pid` is gone.
std::vector<pid_t> process_tree(pid_t pid);

// The container's processes: the members of `cgroup` (relative, "/berth/c1") under `host`'s
// hierarchies when that cgroup exists and has any, else process_tree(init) (init 0: none).
Result<std::vector<pid_t>> container_processes(const cgroups::HostCgroups* host, const std::string& cgroup, pid_t init);

}  // namespace berth::isolators::ports
