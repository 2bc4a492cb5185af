// prepare_rootfs: the mounts of config.json, made beneath the rootfs before pivot_root.
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/linux/rootfs.h"

namespace berth::rt {
namespace {

Status do_mount(const std::string& source, const std::string& target, const std::string& type, unsigned long flags,
                const std::string& data, const std::string& shown_target) {
  const char* t = type.empty() ? nullptr : type.c_str();
  const char* d = data.empty() ? nullptr : data.c_str();
  if (::mount(source.c_str(), target.c_str(), t, flags, d) != 0) {
    return Error::from_errno("mount " + (type.empty() ? source : type) + " on " + shown_target);
  }
  return ok();
}

constexpr unsigned long kRemountable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
                                       MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW;

Status apply_recursive_attrs(int fd, const MountFlags& f, const std::string& shown) {
  if (f.recursive_set == 0 && f.recursive_clear == 0) return ok();
  mount_attr attr{};
  attr.attr_set = f.recursive_set;
  attr.attr_clr = f.recursive_clear;
  if (f.recursive_set & MOUNT_ATTR__ATIME) attr.attr_clr |= MOUNT_ATTR__ATIME;
  if (::syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    return Error::from_errno("set recursive mount attributes on " + shown);
  }
  return ok();
}

// After a mount on `dest`, the fd we mounted over still names the covered directory;
// re-resolving the destination gives the new mount's root.
Result<UniqueFd> reopen(int root_fd, const std::string& dest) { return open_beneath(root_fd, dest, false, false); }

Status finish_mount(int root_fd, const MountPlan& m, bool is_bind) {
  const MountFlags& f = m.flags;
  const std::string& dest = m.mount.destination;
  bool need_remount = is_bind && (f.flags & kRemountable) != 0;
  if (!need_remount && f.propagation == 0 && f.recursive_set == 0 && f.recursive_clear == 0) return ok();
  BERTH_ASSIGN(UniqueFd top, reopen(root_fd, dest));
  std::string target = fd_path(top.get());
  if (need_remount) {
    unsigned long flags = MS_BIND | MS_REMOUNT | (f.flags & kRemountable) | locked_mount_flags(target, true);
    if ((f.flags & MS_RDONLY) == 0) flags &= ~static_cast<unsigned long>(MS_RDONLY);
    BERTH_TRY(do_mount("", target, "", flags, "", dest).context("remount"));
  }
  if (f.propagation != 0) BERTH_TRY(do_mount("", target, "", f.propagation, "", dest).context("set propagation"));
  return apply_recursive_attrs(top.get(), f, dest);
}

// An idmapped bind: clone the source tree detached, give it the mount's user namespace,
// then move it onto the destination.
Status mount_idmapped(const MountPlan& m, int dest_fd) {
  unsigned int recursive = (m.flags.flags & MS_REC) != 0 ? AT_RECURSIVE : 0;
  UniqueFd tree(static_cast<int>(
      ::syscall(SYS_open_tree, AT_FDCWD, m.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recursive)));
  if (!tree) return Error::from_errno("clone the mount tree of " + m.source);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(m.idmap_userns_fd);
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | recursive, &attr, sizeof attr) != 0) {
    return Error::from_errno("idmap " + m.source + " (does its file system support idmapped mounts?)");
  }
  if (::syscall(SYS_move_mount, tree.get(), "", dest_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return Error::from_errno("move the idmapped mount of " + m.source + " into place");
  }
  return ok();
}

Status mount_bind(int root_fd, const MountPlan& m) {
  struct stat st {};
  if (::stat(m.source.c_str(), &st) != 0) return Error::from_errno("bind mount source " + m.source);
  BERTH_ASSIGN(UniqueFd dest, open_beneath(root_fd, m.mount.destination, true, !S_ISDIR(st.st_mode)));
  if (m.flags.idmap) {
    BERTH_TRY(mount_idmapped(m, dest.get()));
  } else {
    unsigned long flags = MS_BIND | (m.flags.flags & MS_REC);
    BERTH_TRY(do_mount(m.source, fd_path(dest.get()), "", flags, "", m.mount.destination));
  }
  return finish_mount(root_fd, m, true);
}

Status mount_special(int root_fd, const MountPlan& m, bool user_ns) {
  BERTH_ASSIGN(UniqueFd dest, open_beneath(root_fd, m.mount.destination, true, false));
  unsigned long flags = m.flags.flags & ~static_cast<unsigned long>(MS_BIND | MS_REC | MS_REMOUNT);
  auto st = do_mount(m.mount.source, fd_path(dest.get()), m.mount.type, flags, m.flags.data, m.mount.destination);
  // A user namespace without its own network (sysfs) or ipc (mqueue) namespace may not
  // mount those: bind the host's instead, read-only, as runc does.
  if (!st && user_ns && st.error().code() == EPERM && (m.mount.type == "sysfs" || m.mount.type == "mqueue")) {
    std::string host = m.mount.type == "sysfs" ? "/sys" : "/dev/mqueue";
    BERTH_TRY(do_mount(host, fd_path(dest.get()), "", MS_BIND | MS_REC, "", m.mount.destination));
    MountPlan ro = m;
    ro.flags.flags |= MS_RDONLY;
    return finish_mount(root_fd, ro, true);
  }
  BERTH_TRY(std::move(st));
  if (m.flags.tmpcopyup) {
    BERTH_ASSIGN(UniqueFd top, reopen(root_fd, m.mount.destination));
    BERTH_TRY(copy_up(dest.get(), fd_path(top.get())).context("tmpcopyup " + m.mount.destination));
  }
  return finish_mount(root_fd, m, false);
}

Status mount_cgroup_view(int root_fd, const MountPlan& m, const CgroupView& v, bool cgroup_ns,
                         const std::string& dest) {
  unsigned long flags = m.flags.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_RDONLY);
  BERTH_ASSIGN(UniqueFd dir, open_beneath(root_fd, dest, true, false));
  if (cgroup_ns) {
    if (v.v2) return do_mount("cgroup2", fd_path(dir.get()), "cgroup2", flags, "", dest);
    return do_mount("cgroup", fd_path(dir.get()), "cgroup", flags, v.controllers, dest);
  }
  BERTH_TRY(do_mount(v.host_path, fd_path(dir.get()), "", MS_BIND | MS_REC, "", dest));
  MountPlan bind = m;
  bind.mount.destination = dest;
  bind.flags.flags = flags;
  bind.flags.propagation = 0;
  return finish_mount(root_fd, bind, true);
}

// The "cgroup" mount type: on v2 the container's own cgroup; on v1 a tmpfs holding one
// directory per hierarchy (and links for combined names such as cpu,cpuacct).
Status mount_cgroups(int root_fd, const MountPlan& m, const RootfsPlan& plan) {
  const std::string& dest = m.mount.destination;
  if (plan.cgroups.size() == 1 && plan.cgroups[0].v2)
    return mount_cgroup_view(root_fd, m, plan.cgroups[0], plan.cgroup_ns, dest);
  BERTH_ASSIGN(UniqueFd dir, open_beneath(root_fd, dest, true, false));
  BERTH_TRY(do_mount("tmpfs", fd_path(dir.get()), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", dest));
  for (const auto& v : plan.cgroups) {
    if (v.v2) continue;
    std::string sub = path_join(dest, v.name);
    BERTH_TRY(mount_cgroup_view(root_fd, m, v, plan.cgroup_ns, sub));
    auto names = split(v.name, ',');
    if (names.size() < 2) continue;
    BERTH_ASSIGN(UniqueFd top, reopen(root_fd, dest));
    for (const auto& n : names) {
      if (::symlinkat(v.name.c_str(), top.get(), n.c_str()) != 0 && errno != EEXIST) {
        return Error::from_errno("symlink " + path_join(dest, n));
      }
    }
  }
  if (m.flags.flags & MS_RDONLY) {
    BERTH_ASSIGN(UniqueFd top, reopen(root_fd, dest));
    BERTH_TRY(do_mount("", fd_path(top.get()), "", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       "mode=755", dest));
  }
  return ok();
}

Status make_mount(int root_fd, const MountPlan& m, const RootfsPlan& plan) {
  if (m.flags.is_bind()) return mount_bind(root_fd, m);
  if (m.mount.type == "cgroup" || m.mount.type == "cgroup2") return mount_cgroups(root_fd, m, plan);
  return mount_special(root_fd, m, plan.user_ns);
}

Status prepare_root_mount(const RootfsPlan& plan) {
  // Always rslave first: nothing we mount may propagate back to the host (a one-level
  // "private" would leave a shared mount above the bundle a peer of the host's), shared
  // would make pivot_root fail and unbindable the rootfs bind. finish_rootfs applies
  // linux.rootfsPropagation once inside.
  BERTH_TRY(do_mount("", "/", "", MS_SLAVE | MS_REC, "", "/").context("set root propagation"));
  BERTH_TRY(do_mount(plan.rootfs, plan.rootfs, "", MS_BIND | MS_REC, "", plan.rootfs).context("bind rootfs"));
  return ok();
}

}  // namespace

Result<UniqueFd> prepare_rootfs(const RootfsPlan& plan, const std::function<Status()>& before_cgroup_mount) {
  BERTH_TRY(prepare_root_mount(plan));
  UniqueFd root(::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno("open rootfs " + plan.rootfs);
  bool waited = false;
  for (const auto& m : plan.mounts) {
    bool is_cgroup = !m.flags.is_bind() && (m.mount.type == "cgroup" || m.mount.type == "cgroup2");
    if (is_cgroup && !waited) {
      BERTH_TRY(before_cgroup_mount());
      waited = true;
    }
    BERTH_TRY(make_mount(root.get(), m, plan).context("mount " + m.mount.destination));
  }
  BERTH_TRY(make_devices(root.get(), plan));
  return root;
}

}  // namespace berth::rt
