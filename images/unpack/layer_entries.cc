// Creating files, directories, links and nodes of a layer, and their metadata.
#include "images/unpack/layer_entries.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <vector>

#include "common/file.h"
#include "common/path_beneath.h"

namespace berth::images::detail {

Result<std::string> clean_entry_path(std::string_view raw) {
  if (raw.empty()) return Error(EINVAL, "the entry has an empty path");
  if (raw.front() == '/') return Error(EPERM, "absolute path: a layer entry must be relative to the layer root");
  std::string out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = std::min(raw.find('/', start), raw.size());
    std::string_view part = raw.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return Error(EPERM, "path contains \"..\": it would leave the layer root");
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

bool climbs_out_of_root(const std::string& dir, std::string_view target) {
  if (target.starts_with('/')) return false;  // absolute: resolved from the root, never above it
  long depth = dir.empty() ? 0 : 1 + static_cast<long>(std::count(dir.begin(), dir.end(), '/'));
  size_t start = 0;
  while (start <= target.size()) {
    size_t end = std::min(target.find('/', start), target.size());
    std::string_view part = target.substr(start, end - start);
    start = end + 1;
    if (part == "..") {
      if (--depth < 0) return true;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
  }
  return false;
}

Result<std::vector<std::string>> children_of(int dir_fd) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("open directory");
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return Error::from_errno("read directory");
  }
  std::vector<std::string> names;
  while (dirent* de = ::readdir(d)) {
    std::string_view n(de->d_name);
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  return names;
}

Status remove_at(int dir_fd, const std::string& name) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return ok();
  if (errno != EISDIR && errno != EPERM) return Error::from_errno("remove " + name);
  UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) return Error::from_errno("remove " + name);
  BERTH_ASSIGN(auto names, children_of(sub.get()));
  for (const auto& child : names) BERTH_TRY(remove_at(sub.get(), child).context(name));
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) return Error::from_errno("remove directory " + name);
  return ok();
}

Status make_room(int dir_fd, const std::string& name, bool entry_is_dir) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return ok();
    return Error::from_errno("stat " + name);
  }
  if (entry_is_dir && S_ISDIR(st.st_mode)) return ok();
  return remove_at(dir_fd, name);
}

namespace {

mode_t effective_mode(const TarEntry& e, const UnpackPolicy& policy) {
  mode_t mode = e.mode & 07777U;
  if (!policy.allow_setid && e.type != TarType::kDirectory) mode &= ~static_cast<mode_t>(S_ISUID | S_ISGID);
  return mode;
}

Status write_data(TarReader& tar, int fd) {
  std::vector<char> buf(size_t{128} * 1024);
  for (;;) {
    BERTH_ASSIGN(size_t n, tar.read_data(buf.data(), buf.size()));
    if (n == 0) return ok();
    BERTH_TRY(write_all(fd, std::string_view(buf.data(), n), "write file data"));
  }
}

// A sparse file: its size first (all hole), then each segment's bytes at its offset, so
// the holes stay unallocated. The reader checked the map against the size and the data.
Status write_sparse_data(TarReader& tar, const TarEntry& e, int fd) {
  if (::ftruncate(fd, static_cast<off_t>(e.size)) != 0) return Error::from_errno("set the size of a sparse file");
  std::vector<char> buf(size_t{128} * 1024);
  for (const SparseSegment& segment : *e.sparse) {
    for (uint64_t done = 0; done < segment.length;) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), segment.length - done));
      BERTH_ASSIGN(size_t n, tar.read_data(buf.data(), want));
      if (n == 0) return Error(EPROTO, "sparse file data ends early");
      BERTH_TRY(pwrite_all(fd, std::string_view(buf.data(), n), segment.offset + done, "sparse file data"));
      done += n;
    }
  }
  return ok();
}

// Owner, mode and xattrs of a created entry, in that order: chown clears setuid bits and
// file capabilities, so both are set after it. `obj` is an fd on the entry (not a symlink).
Status set_owner_mode_xattrs(const TarEntry& e, int parent_fd, const std::string& name, int obj,
                             const UnpackPolicy& policy) {
  bool link = e.type == TarType::kSymlink;
  if (policy.preserve_owners && ::fchownat(parent_fd, name.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return Error::from_errno("chown to " + std::to_string(e.uid) + ":" + std::to_string(e.gid));
  }
  // A symlink's own mode means nothing on Linux; /proc/self/fd/N reaches the entry itself.
  std::string obj_path = link ? fd_path(parent_fd) + "/" + name : fd_path(obj);
  if (!link && ::fchmodat(AT_FDCWD, obj_path.c_str(), effective_mode(e, policy), 0) != 0) {
    return Error::from_errno("chmod");
  }
  if (!policy.xattrs) return ok();
  for (const auto& [key, value] : e.xattrs) {
    // overlayfs reads these on its layers (opaque, redirect, metacopy): only whiteouts,
    // translated by the unpacker, may set them, never a layer's own records.
    if (key.starts_with("trusted.overlay.")) continue;
    int rc = link ? ::lsetxattr(obj_path.c_str(), key.c_str(), value.data(), value.size(), 0)
                  : ::setxattr(obj_path.c_str(), key.c_str(), value.data(), value.size(), 0);
    if (rc != 0) {
      return Error::from_errno("set xattr " + key);
    }
  }
  return ok();
}

Status set_times(const TarEntry& e, int parent_fd, const std::string& name) {
  std::array<timespec, 2> t{};
  t[0].tv_sec = t[1].tv_sec = e.mtime_sec;
  t[0].tv_nsec = t[1].tv_nsec = e.mtime_nsec;
  if (::utimensat(parent_fd, name.c_str(), t.data(), AT_SYMLINK_NOFOLLOW) != 0) return Error::from_errno("set mtime");
  return ok();
}

Status make_node(const TarEntry& e, int parent_fd, const std::string& name) {
  mode_t kind = e.type == TarType::kFifo ? S_IFIFO : e.type == TarType::kCharDevice ? S_IFCHR : S_IFBLK;
  dev_t dev = e.type == TarType::kFifo ? 0 : makedev(e.dev_major, e.dev_minor);
  if (::mknodat(parent_fd, name.c_str(), kind | 0600, dev) != 0) return Error::from_errno("mknod");
  return ok();
}

Result<UniqueFd> create_object(TarReader& tar, const TarEntry& e, int root_fd, int parent_fd, const std::string& name) {
  const char* n = name.c_str();
  switch (e.type) {
    case TarType::kRegular: {
      UniqueFd fd(::openat(parent_fd, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd) return Error::from_errno("create file");
      BERTH_TRY(e.sparse ? write_sparse_data(tar, e, fd.get()) : write_data(tar, fd.get()));
      return fd;
    }
    case TarType::kDirectory:
      if (::mkdirat(parent_fd, n, 0700) != 0 && errno != EEXIST) return Error::from_errno("mkdir");
      break;
    case TarType::kSymlink:
      if (::symlinkat(e.link_target.c_str(), parent_fd, n) != 0) return Error::from_errno("symlink");
      break;
    case TarType::kHardLink: {
      auto target = clean_entry_path(e.link_target);
      if (!target) return std::move(target).error().context("hard link to \"" + e.link_target + "\"");
      size_t slash = target->rfind('/');
      std::string tdir = slash == std::string::npos ? "" : target->substr(0, slash);
      std::string tname = slash == std::string::npos ? *target : target->substr(slash + 1);
      if (tname.empty()) return Error(EPERM, "hard link to the layer root");
      auto tparent = open_in_root(root_fd, tdir, O_PATH | O_DIRECTORY);
      if (!tparent) return std::move(tparent).error().context("hard link to \"" + e.link_target + "\"");
      // flags 0: a link to a symlink links the symlink itself, never what it points at.
      if (::linkat(tparent->get(), tname.c_str(), parent_fd, n, 0) != 0) {
        return Error::from_errno("hard link to \"" + e.link_target + "\"");
      }
      break;
    }
    case TarType::kCharDevice:
    case TarType::kBlockDevice:
    case TarType::kFifo: BERTH_TRY(make_node(e, parent_fd, name)); break;
  }
  return UniqueFd();
}

}  // namespace

Status create_entry(TarReader& tar, const TarEntry& e, int root_fd, int parent_fd, const std::string& name,
                    const UnpackPolicy& policy) {
  BERTH_ASSIGN(UniqueFd fd, create_object(tar, e, root_fd, parent_fd, name));
  // A hard link shares its target's inode: the archive's metadata for it is the target's.
  if (e.type == TarType::kHardLink) return ok();
  if (!fd && e.type != TarType::kSymlink) {
    fd.reset(::openat(parent_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return Error::from_errno("reopen");
  }
  BERTH_TRY(set_owner_mode_xattrs(e, parent_fd, name, fd.get(), policy));
  if (e.type == TarType::kDirectory) return ok();  // after its contents, by the caller
  return set_times(e, parent_fd, name);
}

Status set_root_metadata(const TarEntry& e, int root_fd, const UnpackPolicy& policy) {
  if (e.type != TarType::kDirectory) return Error(EPERM, "a non-directory entry names the layer root");
  if (policy.preserve_owners && ::fchownat(root_fd, "", e.uid, e.gid, AT_EMPTY_PATH) != 0) {
    return Error::from_errno("chown the layer root");
  }
  if (::fchmodat(AT_FDCWD, fd_path(root_fd).c_str(), effective_mode(e, policy), 0) != 0) {
    return Error::from_errno("chmod the layer root");
  }
  return ok();
}

}  // namespace berth::images::detail
