// Resolution of paths inside a container root without ever leaving it.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/strings.h"
#include "runtime/linux/rootfs.h"

namespace berth::rt {
namespace {

int openat2_beneath(int root_fd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* p = path.empty() ? "." : path.c_str();
  return static_cast<int>(::syscall(SYS_openat2, root_fd, p, &how, sizeof how));
}

}  // namespace

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<UniqueFd> open_beneath(int root_fd, const std::string& path, bool create, bool create_file) {
  int fd = openat2_beneath(root_fd, path, O_PATH);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT || !create) return Error::from_errno("resolve " + path + " in the container root");
  // Walk down, making what is missing; each parent was itself resolved beneath the root.
  auto parts = split(path, '/');
  std::vector<std::string> names;
  for (auto& p : parts) {
    if (!p.empty() && p != ".") names.push_back(p);
  }
  UniqueFd parent(openat2_beneath(root_fd, "", O_PATH | O_DIRECTORY));
  if (!parent) return Error::from_errno("open the container root");
  std::string prefix;
  for (size_t i = 0; i < names.size(); ++i) {
    prefix += "/" + names[i];
    bool last = i + 1 == names.size();
    int next = openat2_beneath(root_fd, prefix, O_PATH);
    if (next < 0 && errno == ENOENT) {
      if (last && create_file) {
        int f = ::openat(parent.get(), names[i].c_str(), O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0755);
        if (f < 0 && errno != EEXIST) return Error::from_errno("create " + prefix + " in the container root");
        if (f >= 0) ::close(f);
      } else if (::mkdirat(parent.get(), names[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return Error::from_errno("mkdir " + prefix + " in the container root");
      }
      next = openat2_beneath(root_fd, prefix, O_PATH);
    }
    if (next < 0) return Error::from_errno("resolve " + prefix + " in the container root");
    parent.reset(next);
  }
  return parent;
}

}  // namespace berth::rt
