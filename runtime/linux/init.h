// The container's init process: the child of clone() that joins and sets up its
// namespaces, makes the rootfs, waits for `start` on the exec fifo and execs the user
// process. Everything it needs is prepared by the launcher in an InitConfig first.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "runtime/linux/process_plan.h"
#include "runtime/linux/rootfs.h"
#include "runtime/oci/spec.h"

namespace berth::rt {

struct NamespaceJoin {
  int flag;  // CLONE_NEW*
  int fd;    // an open fd on the namespace file
  std::string path;
};

struct InitConfig {
  const oci::Spec* spec = nullptr;
  RootfsPlan rootfs;
  ProcessPlan process;
  int unshare_flags = 0;  // CLONE_NEW{NS,NET,IPC,UTS} made by the init itself
  bool new_mount_ns = false;
  bool new_uts_ns = false;
  bool new_cgroup_ns = false;  // unshared after the parent put the init in its cgroup
  bool new_time_ns = false;
  bool new_user_ns = false;
  std::vector<NamespaceJoin> joins;  // user first
  int sync_fd = -1;
  int exec_fifo_fd = -1;       // O_PATH fd on the directory of exec.fifo; -1: no waiting for start
  int console_socket_fd = -1;  // when process.terminal
  int preserve_fds = 0;
  std::vector<int> close_on_start;  // the runtime's own fds, closed first thing in the child
  bool no_new_keyring = false;
  dev_t self_dev = 0;  // the runtime binary, never to be exec'd in the container
  ino_t self_ino = 0;
};

// Runs in the child after clone(); never returns. Failures before `start` go to the
// parent over sync_fd; later ones to the container's stderr.
[[noreturn]] void container_init(InitConfig& config);

// Shared by container_init and exec: LSM labels, limits, identity, seccomp, cwd,
// fd hygiene and execve. `exec_marker_fd` (close-on-exec, or -1) stays open until execve
// closes it, so that whoever holds its other end learns the user process is running.
Status finish_and_exec(const ProcessPlan& plan, int preserve_fds, dev_t self_dev, ino_t self_ino,
                       int exec_marker_fd = -1);

}  // namespace berth::rt
