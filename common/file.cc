#include "common/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace berth {

Result<std::string> read_fd(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + path);
  return read_fd(fd.get()).context("read " + path);
}

Status write_all(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(std::string("write ") + std::string(what));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok();
}

Status pwrite_all(int fd, std::string_view data, uint64_t offset, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(std::string("write ") + std::string(what));
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return ok();
}

Status write_file(const std::string& path, std::string_view data, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return Error::from_errno("open " + path);
  return write_all(fd.get(), data, path);
}

Status write_existing(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + path);
  // Kernel files take one value per write(2): never split it.
  ssize_t n = ::write(fd.get(), data.data(), data.size());
  if (n < 0) return Error::from_errno("write \"" + std::string(data) + "\" to " + path);
  return ok();
}

namespace {

// The temp file, fsync, rename and directory fsync behind both write_file_atomic forms, on
// `name` relative to `dir_fd` (O_PATH is enough); `name_dir` is the directory holding it,
// relative to `dir_fd` as well (synced after the rename); messages call the file `shown`.
Status replace_atomically(int dir_fd, const std::string& name, const std::string& name_dir, const std::string& shown,
                          std::string_view data, mode_t mode, Durability durability) {
  const bool durable = durability == Durability::kDurable;
  const std::string suffix = ".tmp." + std::to_string(::getpid());
  const std::string tmp = name + suffix;
  const std::string tmp_shown = shown + suffix;
  {
    // O_NOFOLLOW: a symlink planted under the temp name (in a container's rootfs) is refused.
    UniqueFd fd(::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) return Error::from_errno("open " + tmp_shown);
    if (auto st = write_all(fd.get(), data, tmp_shown); !st) {
      ::unlinkat(dir_fd, tmp.c_str(), 0);
      return st;
    }
    if (durable && ::fsync(fd.get()) != 0) {
      int e = errno;
      ::unlinkat(dir_fd, tmp.c_str(), 0);
      return Error::from_errno("fsync " + tmp_shown, e);
    }
  }
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) {
    int e = errno;
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return Error::from_errno("rename " + tmp_shown + " to " + shown, e);
  }
  if (!durable) return ok();
  UniqueFd dfd(::openat(dir_fd, name_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) ::fsync(dfd.get());
  return ok();
}

}  // namespace

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode, Durability durability) {
  return replace_atomically(AT_FDCWD, path, dirname_of(path), path, data, mode, durability);
}

Status write_file_atomic_at(int dir_fd, const std::string& name, std::string_view data, mode_t mode,
                            Durability durability) {
  return replace_atomically(dir_fd, name, ".", name, data, mode, durability);
}

Result<UniqueFd> open_path(const std::string& path, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return Error::from_errno("open " + path);
  return UniqueFd(fd);
}

Status fsync_dir(const std::string& dir) {
  BERTH_ASSIGN(UniqueFd fd, open_path(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) != 0) return Error::from_errno("fsync " + dir);
  return ok();
}

Status mkdir_p(const std::string& path, mode_t mode) {
  if (path.empty()) return ok();
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return ok();
    return Error(ENOTDIR, "mkdir " + path + ": exists and is not a directory");
  }
  std::string parent = dirname_of(path);
  if (parent != path) BERTH_TRY(mkdir_p(parent, mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return Error::from_errno("mkdir " + path);
  return ok();
}

namespace {

Status remove_tree_at(int parent_fd, const char* name, dev_t dev) {
  struct stat st {};
  if (::fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return ok();
    return Error::from_errno(std::string("stat ") + name);
  }
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != dev) return Error(EXDEV, std::string("remove ") + name + ": a mount point");
    int fd = ::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return Error::from_errno(std::string("open ") + name);
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
      ::close(fd);
      return Error::from_errno(std::string("opendir ") + name);
    }
    Status result;
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      if (auto s = remove_tree_at(::dirfd(d), e->d_name, dev); !s) {
        result = std::move(s).error().context(name);
        break;
      }
    }
    ::closedir(d);
    if (!result) return result;
    if (::unlinkat(parent_fd, name, AT_REMOVEDIR) != 0) return Error::from_errno(std::string("rmdir ") + name);
    return ok();
  }
  if (::unlinkat(parent_fd, name, 0) != 0 && errno != ENOENT) {
    return Error::from_errno(std::string("unlink ") + name);
  }
  return ok();
}

}  // namespace

Status remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return ok();
    return Error::from_errno("stat " + path);
  }
  return remove_tree_at(AT_FDCWD, path.c_str(), st.st_dev).context("remove " + path);
}

Result<std::vector<std::string>> list_dir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return Error::from_errno("opendir " + path);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  return names;
}

bool path_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string path_join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  std::string out(a);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  if (b.empty()) return out;
  if (out != "/") out += '/';
  out += b;
  return out;
}

std::string dirname_of(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto pos = path.rfind('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return std::string(path.substr(0, pos));
}

std::string basename_of(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto pos = path.rfind('/');
  if (pos == std::string_view::npos) return std::string(path);
  return std::string(path.substr(pos + 1));
}

Result<std::string> absolute_path(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof buf) == nullptr) return Error::from_errno("getcwd");
  if (path.empty() || path == ".") return std::string(buf);
  return path_join(buf, path);
}

}  // namespace berth
