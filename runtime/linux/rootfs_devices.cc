// Device nodes and the standard /dev links of a container.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/file.h"
#include "runtime/linux/rootfs.h"

namespace berth::rt {
namespace {

mode_t device_type_bits(char type) {
  switch (type) {
    case 'b': return S_IFBLK;
    case 'p': return S_IFIFO;
    default: return S_IFCHR;
  }
}

Status make_device(int root_fd, const oci::Device& d, bool user_ns) {
  std::string parent = dirname_of(d.path);
  std::string name = basename_of(d.path);
  BERTH_ASSIGN(UniqueFd dir, open_beneath(root_fd, parent, true, false));
  UniqueFd real_dir(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!real_dir) return Error::from_errno("open " + parent);
  if (user_ns) {
    // mknod is not allowed in a user namespace: bind the host's node instead.
    int f = ::openat(real_dir.get(), name.c_str(), O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0 && errno != EEXIST) return Error::from_errno("create " + d.path);
    if (f >= 0) ::close(f);
    BERTH_ASSIGN(UniqueFd target, open_beneath(root_fd, d.path, false, false));
    if (::mount(d.path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return Error::from_errno("bind device " + d.path);
    }
    return ok();
  }
  ::unlinkat(real_dir.get(), name.c_str(), 0);
  mode_t mode = device_type_bits(d.type) | (d.file_mode ? (*d.file_mode & 07777) : 0666);
  dev_t dev = d.type == 'p' ? 0 : makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  if (::mknodat(real_dir.get(), name.c_str(), mode, dev) != 0) return Error::from_errno("mknod " + d.path);
  // mknod applies the umask: set the mode the spec asked for exactly.
  if (::fchmodat(real_dir.get(), name.c_str(), mode & 07777, 0) != 0) return Error::from_errno("chmod " + d.path);
  uid_t uid = d.uid ? *d.uid : 0;
  gid_t gid = d.gid ? *d.gid : 0;
  if (::fchownat(real_dir.get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return Error::from_errno("chown " + d.path);
  }
  return ok();
}

Status make_link(int dev_fd, const char* target, const char* name) {
  if (::symlinkat(target, dev_fd, name) != 0 && errno != EEXIST) {
    return Error::from_errno(std::string("symlink /dev/") + name + " -> " + target);
  }
  return ok();
}

bool has_dev_mount(const RootfsPlan& plan) {
  for (const auto& m : plan.mounts) {
    if (m.mount.destination == "/dev") return true;
  }
  return false;
}

}  // namespace

Status make_devices(int root_fd, const RootfsPlan& plan) {
  bool dev_tmpfs = has_dev_mount(plan);
  for (const auto& d : plan.devices) {
    // Default devices only when the container has its own /dev; listed ones always.
    BERTH_TRY(make_device(root_fd, d, plan.user_ns));
  }
  if (!dev_tmpfs) return ok();
  BERTH_ASSIGN(UniqueFd dev_path, open_beneath(root_fd, "/dev", false, false));
  UniqueFd dev(::openat(dev_path.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dev) return Error::from_errno("open /dev in the container");
  BERTH_TRY(make_link(dev.get(), "/proc/self/fd", "fd"));
  BERTH_TRY(make_link(dev.get(), "/proc/self/fd/0", "stdin"));
  BERTH_TRY(make_link(dev.get(), "/proc/self/fd/1", "stdout"));
  BERTH_TRY(make_link(dev.get(), "/proc/self/fd/2", "stderr"));
  if (path_exists("/proc/kcore")) BERTH_TRY(make_link(dev.get(), "/proc/kcore", "core"));
  struct stat st {};
  if (::fstatat(dev.get(), "pts/ptmx", &st, 0) == 0) {
    ::unlinkat(dev.get(), "ptmx", 0);
    BERTH_TRY(make_link(dev.get(), "pts/ptmx", "ptmx"));
  }
  return ok();
}

}  // namespace berth::rt
