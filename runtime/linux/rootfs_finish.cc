// Entering the rootfs (pivot_root) and what is done inside it afterwards.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "runtime/linux/rootfs.h"

namespace berth::rt {
namespace {

Status pivot_into(const std::string& rootfs) {
  UniqueFd old_root(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!old_root) return Error::from_errno("open /");
  UniqueFd new_root(::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!new_root) return Error::from_errno("open " + rootfs);
  if (::fchdir(new_root.get()) != 0) return Error::from_errno("chdir " + rootfs);
  // pivot_root(".", ".") stacks the old root on top of the new one; then detach it.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return Error::from_errno("pivot_root " + rootfs);
  if (::fchdir(old_root.get()) != 0) return Error::from_errno("chdir to the old root");
  if (::mount("", ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) return Error::from_errno("make old root rslave");
  if (::umount2(".", MNT_DETACH) != 0) return Error::from_errno("unmount the old root");
  if (::chdir("/") != 0) return Error::from_errno("chdir /");
  return ok();
}

Status move_into(const std::string& rootfs) {
  if (::chdir(rootfs.c_str()) != 0) return Error::from_errno("chdir " + rootfs);
  if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0)
    return Error::from_errno("move " + rootfs + " to /");
  if (::chroot(".") != 0) return Error::from_errno("chroot " + rootfs);
  if (::chdir("/") != 0) return Error::from_errno("chdir /");
  return ok();
}

Status mask_path(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return ok();
    return Error::from_errno("stat masked path " + path);
  }
  if (S_ISDIR(st.st_mode)) {
    if (::mount("tmpfs", path.c_str(), "tmpfs", MS_RDONLY, nullptr) != 0) return Error::from_errno("mask " + path);
    return ok();
  }
  if (::mount("/dev/null", path.c_str(), nullptr, MS_BIND, nullptr) != 0) return Error::from_errno("mask " + path);
  return ok();
}

Status readonly_path(const std::string& path) {
  if (::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    if (errno == ENOENT) return ok();
    return Error::from_errno("bind read-only path " + path);
  }
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_mount_flags(path, false);
  if (::mount("", path.c_str(), nullptr, flags, nullptr) != 0) return Error::from_errno("remount read-only " + path);
  return ok();
}

Status write_sysctls(const RootfsPlan& plan) {
  for (const auto& [path, value] : plan.sysctl) BERTH_TRY(write_existing(path, value).context("sysctl"));
  return ok();
}

}  // namespace

unsigned long locked_mount_flags(const std::string& path, bool with_rdonly) {
  struct statvfs sv {};
  if (::statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long out = 0;
  if (sv.f_flag & ST_NOSUID) out |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) out |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) out |= MS_NOEXEC;
  if (with_rdonly && (sv.f_flag & ST_RDONLY)) out |= MS_RDONLY;
  return out;
}

Status enter_rootfs(const RootfsPlan& plan) { return plan.no_pivot ? move_into(plan.rootfs) : pivot_into(plan.rootfs); }

Status finish_rootfs(const RootfsPlan& plan) {
  BERTH_TRY(write_sysctls(plan));
  for (const auto& p : plan.readonly_paths) BERTH_TRY(readonly_path(p));
  for (const auto& p : plan.masked_paths) BERTH_TRY(mask_path(p));
  if (plan.readonly) {
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_mount_flags("/", false);
    if (::mount("", "/", nullptr, flags, nullptr) != 0) return Error::from_errno("remount / read-only");
  }
  if (plan.root_propagation != 0 && ::mount("", "/", nullptr, plan.root_propagation, nullptr) != 0) {
    return Error::from_errno("set rootfs propagation on /");
  }
  return ok();
}

// Copies the entries of `from` (the directory a tmpfs now covers) into `to`.
Status copy_up(int from_dir_fd, const std::string& to_dir) {
  UniqueFd from(::openat(from_dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from) return Error::from_errno("open the covered directory");
  UniqueFd to(::open(to_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!to) return Error::from_errno("open " + to_dir);
  DIR* d = ::fdopendir(::dup(from.get()));
  if (d == nullptr) return Error::from_errno("read the covered directory");
  Status result;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat st {};
    if (::fstatat(from.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ::mkdirat(to.get(), e->d_name, st.st_mode & 07777);
      UniqueFd sub(::openat(from.get(), e->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC));
      result = copy_up(sub.get(), path_join(to_dir, e->d_name));
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlinkat(from.get(), e->d_name, target, sizeof target - 1);
      if (n >= 0) {
        target[n] = '\0';
        ::symlinkat(target, to.get(), e->d_name);
      }
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd in(::openat(from.get(), e->d_name, O_RDONLY | O_CLOEXEC));
      UniqueFd out(::openat(to.get(), e->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777));
      if (in && out) {
        auto data = read_fd(in.get());
        if (data) result = write_all(out.get(), *data, e->d_name);
      }
    }
    if (!result) break;
    ::fchownat(to.get(), e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
  }
  ::closedir(d);
  return result;
}

}  // namespace berth::rt
