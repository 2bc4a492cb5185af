// The container's root file system, made inside its new mount namespace: the spec's
// mounts, devices, /dev links, pivot_root, masked and read-only paths. Every destination
// is resolved beneath the rootfs (openat2 RESOLVE_IN_ROOT) and used through /proc/self/fd,
// so a symlink in the image can never point a mount at the host.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/path_beneath.h"
#include "common/result.h"
#include "runtime/linux/mount_options.h"
#include "runtime/oci/spec.h"

namespace berth::rt {

// One cgroup hierarchy as the container should see it under /sys/fs/cgroup.
struct CgroupView {
  std::string name;         // directory under /sys/fs/cgroup ("memory", "cpu,cpuacct"; "" for v2)
  std::string host_path;    // the container's cgroup directory on the host
  std::string controllers;  // mount data for a v1 mount in a cgroup namespace ("memory", "name=systemd")
  bool v2 = false;
};

struct MountPlan {
  oci::Mount mount;
  MountFlags flags;
  std::string source;        // bind sources made absolute (relative ones are taken from the bundle)
  int idmap_userns_fd = -1;  // idmapped mounts: a user namespace carrying the mount's mappings
};

struct RootfsPlan {
  std::string rootfs;  // absolute host path
  bool readonly = false;
  unsigned long root_propagation = 0;  // linux.rootfsPropagation, 0 when unset
  std::vector<MountPlan> mounts;
  std::vector<oci::Device> devices;  // default devices + linux.devices
  std::vector<CgroupView> cgroups;
  bool cgroup_ns = false;  // the container has its own cgroup namespace
  bool user_ns = false;    // device nodes are bind-mounted from the host instead of made
  bool no_pivot = false;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::vector<std::pair<std::string, std::string>> sysctl;  // /proc/sys/... path, value
  std::string mount_label;
};

// Makes the user namespaces that idmapped mounts need (in the runtime, before clone: the
// init cannot map a namespace from inside its own pid namespace). `owned` keeps them open.
Status prepare_idmapped_mounts(RootfsPlan& plan, std::vector<UniqueFd>& owned);

Result<RootfsPlan> plan_rootfs(const oci::Spec& spec, const std::string& bundle, const std::string& rootfs,
                               std::vector<CgroupView> cgroups, bool no_pivot);

// --- in the container init, in its new mount namespace ---
// Root propagation, the rootfs bind, every mount, devices and /dev links.
// Returns an fd on the rootfs (O_PATH) that stays valid across pivot_root.
// `before_cgroup_mount` runs once, before the first cgroup file system is mounted: moving
// a process into v1 cgroups costs an RCU grace period, so the runtime does it while we
// mount, and we only wait for it where the cgroup view depends on it.
Result<UniqueFd> prepare_rootfs(const RootfsPlan& plan, const std::function<Status()>& before_cgroup_mount);
// pivot_root (or MS_MOVE + chroot with no_pivot) into the prepared rootfs.
Status enter_rootfs(const RootfsPlan& plan);
// After pivot: sysctls, masked and read-only paths, read-only root, root propagation.
Status finish_rootfs(const RootfsPlan& plan);

// open_beneath and fd_path live in common/path_beneath.h (image unpacking uses them too).
using berth::fd_path;
using berth::open_beneath;
// Pieces of prepare_rootfs kept in their own files: device nodes and /dev links, and the
// tmpcopyup copy of a directory's entries into the tmpfs mounted over it.
Status make_devices(int root_fd, const RootfsPlan& plan);
Status copy_up(int from_dir_fd, const std::string& to_dir);

// The nosuid/nodev/noexec (and, asked for, rdonly) flags of the mount at `path`: a bind
// remount must repeat them, the kernel refuses to clear "locked" ones (user namespaces).
unsigned long locked_mount_flags(const std::string& path, bool with_rdonly);

}  // namespace berth::rt
