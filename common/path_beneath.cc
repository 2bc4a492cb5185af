// Resolution of paths inside a root directory without ever leaving it.
#include "common/path_beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <optional>

#include "common/strings.h"

namespace berth {
namespace {

int openat2_beneath(int root_fd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* p = path.empty() ? "." : path.c_str();
  return static_cast<int>(::syscall(SYS_openat2, root_fd, p, &how, sizeof how));
}

}  // namespace

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags) {
  int fd = openat2_beneath(root_fd, path, flags);
  if (fd < 0) return Error::from_errno("open " + path + " beneath the root");
  return UniqueFd(fd);
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

namespace {

// When `name` in `parent` is a dangling symlink, the path to create instead: its target
// (read beneath the root like every other path) followed by the rest of the walk.
std::optional<std::string> through_dangling_link(int parent, const std::string& name, const std::string& dir,
                                                 const std::vector<std::string>& rest) {
  struct stat st {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode)) return std::nullopt;
  char target[PATH_MAX];
  ssize_t n = ::readlinkat(parent, name.c_str(), target, sizeof target - 1);
  if (n <= 0) return std::nullopt;
  std::string path = target[0] == '/' ? std::string(target, static_cast<size_t>(n))
                                      : dir + "/" + std::string(target, static_cast<size_t>(n));
  for (const auto& r : rest) path += "/" + r;
  return path;
}

Result<UniqueFd> walk_creating(int root_fd, const std::string& path, bool create_file, int depth) {
  if (depth > 40) return Error(ELOOP, "resolve " + path + " beneath the root: too many symlinks");
  std::vector<std::string> names;
  for (auto& p : split(path, '/')) {
    if (!p.empty() && p != ".") names.push_back(p);
  }
  UniqueFd parent(openat2_beneath(root_fd, "", O_PATH | O_DIRECTORY));
  if (!parent) return Error::from_errno("open the root");
  std::string prefix;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string dir = prefix;
    prefix += "/" + names[i];
    bool last = i + 1 == names.size();
    int next = openat2_beneath(root_fd, prefix, O_PATH);
    if (next < 0 && errno == ENOENT) {
      std::vector<std::string> rest(names.begin() + static_cast<long>(i) + 1, names.end());
      if (auto redirected = through_dangling_link(parent.get(), names[i], dir, rest)) {
        return walk_creating(root_fd, *redirected, create_file, depth + 1);
      }
      if (last && create_file) {
        int f = ::openat(parent.get(), names[i].c_str(), O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0755);
        if (f < 0 && errno != EEXIST) return Error::from_errno("create " + prefix + " beneath the root");
        if (f >= 0) ::close(f);
      } else if (::mkdirat(parent.get(), names[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return Error::from_errno("mkdir " + prefix + " beneath the root");
      }
      next = openat2_beneath(root_fd, prefix, O_PATH);
    }
    if (next < 0) return Error::from_errno("resolve " + prefix + " beneath the root");
    parent.reset(next);
  }
  return parent;
}

}  // namespace

Result<UniqueFd> open_beneath(int root_fd, const std::string& path, bool create, bool create_file) {
  int fd = openat2_beneath(root_fd, path, O_PATH);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT || !create) return Error::from_errno("resolve " + path + " beneath the root");
  // Walk down, making what is missing; each parent was itself resolved beneath the root,
  // and a dangling symlink is followed to a target beneath the root too.
  return walk_creating(root_fd, path, create_file, 0);
}

}  // namespace berth
