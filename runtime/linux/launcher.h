// The runtime side of starting a container init: namespaces chosen and opened, clone(),
// id maps written, cgroups joined, prestart/createRuntime hooks run at the right moment.
// On any failure the half-made init is killed and reaped: nothing is left running.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/linux/rootfs.h"
#include "runtime/oci/spec.h"

namespace berth::rt {

struct LaunchRequest {
  const oci::Spec* spec = nullptr;
  std::string bundle;
  std::string rootfs;          // absolute
  std::string exec_fifo;       // <dir>/exec.fifo, the fifo `start` opens; empty: exec at once
  std::string console_socket;  // required when process.terminal (or console_fd)
  int console_fd = -1;         // an already connected console socket (foreground run)
  int preserve_fds = 0;
  bool no_pivot = false;
  bool no_new_keyring = false;
  // Makes the container's cgroups and moves `pid` into them. Called while the init sets up
  // its namespaces and mounts; cgroup_views must name the directories it will make.
  std::function<Status(pid_t)> enter_cgroups;
  std::vector<CgroupView> cgroup_views;
  // State JSON for hooks, given the init's pid and a status.
  std::function<std::string(pid_t, const char*)> hook_state;
};

// Returns the init's pid once it waits for `start` (or, without a fifo, is about to exec).
Result<pid_t> launch_container(const LaunchRequest& request);

// The CLONE_NEW* flag for a spec namespace type ("network" -> CLONE_NEWNET), 0 if unknown.
int namespace_flag(const std::string& type);
// The /proc/<pid>/ns/<name> file name of a spec namespace type ("network" -> "net").
const char* namespace_proc_name(const std::string& type);

// Returns the (dev, ino) of the running binary.
Status self_binary(dev_t& dev, ino_t& ino);

}  // namespace berth::rt
