#include "isolators/disk/tree_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "common/fd.h"

namespace berth::isolators::disk {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirStream = std::unique_ptr<DIR, DirCloser>;

// One directory on the way down: its identity (to check the way back up through ".."), its
// name in its parent (for messages) and the subdirectories still to visit.
struct Level {
  std::string name;
  dev_t dev = 0;
  ino_t ino = 0;
  std::vector<std::string> subdirs;
  size_t next = 0;
};

// "root/a/b" for the levels on the stack: only built for an error message, so that a deep
// tree costs memory linear in its depth.
std::string path_of(const std::string& root, const std::vector<Level>& stack) {
  std::string path = root;
  for (size_t i = 1; i < stack.size(); ++i) path += "/" + stack[i].name;
  return path;
}

// Visits the entries of the directory open as `fd` and lists its subdirectories on `dev`.
Status read_level(int fd, dev_t dev, const TreeVisitor& visit, Level& level) {
  int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return Error::from_errno("dup directory fd");
  DirStream dir(::fdopendir(dup_fd));
  if (!dir) {
    int e = errno;
    ::close(dup_fd);
    return Error::from_errno("opendir", e);
  }
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(dir.get());
    if (e == nullptr) break;
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat st {};
    if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed while we walk
      return Error::from_errno(std::string("stat ") + e->d_name);
    }
    if (st.st_dev != dev) continue;  // a mount point: another file system's business
    BERTH_TRY(visit(fd, e->d_name, st).context(e->d_name));
    if (S_ISDIR(st.st_mode)) level.subdirs.emplace_back(e->d_name);
  }
  if (errno != 0) return Error::from_errno("readdir");
  return ok();
}

// The subdirectory `name` of `parent_fd`, or an invalid fd when it is gone, was replaced by
// something that is not a directory, or is now a mount point.
Result<UniqueFd> open_subdir(int parent_fd, const std::string& name, dev_t dev, struct stat& st) {
  UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return UniqueFd();
    return Error::from_errno("open " + name);
  }
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat " + name);
  if (st.st_dev != dev) return UniqueFd();
  return fd;
}

// Climbs back to `parent` through "..", checking it is the directory we came down from.
Result<UniqueFd> open_parent(int fd, const Level& parent) {
  UniqueFd up(::openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!up) return Error::from_errno("open ..");
  struct stat st {};
  if (::fstat(up.get(), &st) != 0) return Error::from_errno("stat ..");
  if (st.st_dev != parent.dev || st.st_ino != parent.ino) {
    return Error(EAGAIN, "directory moved during the walk");
  }
  return up;
}

}  // namespace

Status walk_tree(const std::string& root, const TreeVisitor& visit) {
  UniqueFd cur(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!cur) return Error::from_errno("open " + root);
  struct stat st {};
  if (::fstat(cur.get(), &st) != 0) return Error::from_errno("stat " + root);
  const dev_t dev = st.st_dev;
  BERTH_TRY(visit(cur.get(), ".", st).context(root));

  std::vector<Level> stack;
  stack.push_back(Level{.name = root, .dev = st.st_dev, .ino = st.st_ino});
  BERTH_TRY(read_level(cur.get(), dev, visit, stack.back()).context(root));
  while (!stack.empty()) {
    Level& top = stack.back();
    if (top.next == top.subdirs.size()) {
      stack.pop_back();
      if (stack.empty()) break;
      auto up = open_parent(cur.get(), stack.back());
      if (!up) return std::move(up).error().context(path_of(root, stack));
      cur = std::move(*up);
      continue;
    }
    std::string name = std::move(top.subdirs[top.next++]);
    auto child = open_subdir(cur.get(), name, dev, st);
    if (!child) return std::move(child).error().context(path_of(root, stack));
    if (!child->valid()) continue;
    cur = std::move(*child);
    stack.push_back(Level{.name = std::move(name), .dev = st.st_dev, .ino = st.st_ino});
    if (auto s = read_level(cur.get(), dev, visit, stack.back()); !s) {
      return std::move(s).error().context(path_of(root, stack));
    }
  }
  return ok();
}

}  // namespace berth::isolators::disk
