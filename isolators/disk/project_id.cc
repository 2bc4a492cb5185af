#include "isolators/disk/project_id.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>

#include "common/fd.h"
#include "isolators/disk/tree_walk.h"

namespace berth::isolators::disk {
namespace {

Status set_project_id_fd(int fd, bool is_dir, uint32_t id) {
  struct fsxattr attr {};
  if (::ioctl(fd, FS_IOC_FSGETXATTR, &attr) != 0) return Error::from_errno("FS_IOC_FSGETXATTR");
  attr.fsx_projid = id;
  if (is_dir && id != 0) attr.fsx_xflags |= FS_XFLAG_PROJINHERIT;
  if (is_dir && id == 0) attr.fsx_xflags &= ~static_cast<uint32_t>(FS_XFLAG_PROJINHERIT);
  if (::ioctl(fd, FS_IOC_FSSETXATTR, &attr) != 0) return Error::from_errno("FS_IOC_FSSETXATTR");
  return ok();
}

// One entry of the walk: opened without following it, checked to be what was stat'd. The
// walk puts the entry's path in front of an error.
Status set_project_id_at(int dir_fd, const char* name, const struct stat& st, uint32_t id) {
  const bool is_dir = S_ISDIR(st.st_mode);
  if (!is_dir && !S_ISREG(st.st_mode)) return ok();
  // O_NONBLOCK: should a fifo be swapped in after the stat, opening it must not hang.
  UniqueFd fd(
      ::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (is_dir ? O_DIRECTORY : 0)));
  if (!fd) {
    if (errno == ENOENT) return ok();
    return Error::from_errno("open");
  }
  struct stat now {};
  if (::fstat(fd.get(), &now) != 0) return Error::from_errno("stat");
  if (now.st_ino != st.st_ino || now.st_dev != st.st_dev) return ok();  // replaced meanwhile
  return set_project_id_fd(fd.get(), is_dir, id);
}

}  // namespace

Result<uint32_t> project_id_of(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + dir);
  struct fsxattr attr {};
  if (::ioctl(fd.get(), FS_IOC_FSGETXATTR, &attr) != 0) {
    return Error::from_errno("read project id of " + dir + ": FS_IOC_FSGETXATTR");
  }
  return attr.fsx_projid;
}

Status set_project_id_tree(const std::string& dir, uint32_t id) {
  auto visit = [id](int dir_fd, const char* name, const struct stat& st) {
    return set_project_id_at(dir_fd, name, st, id);
  };
  return walk_tree(dir, visit).context("set project id " + std::to_string(id));
}

}  // namespace berth::isolators::disk
