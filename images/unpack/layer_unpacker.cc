// The unpack loop: entries in archive order, whiteouts, directory times last, diff_id.
#include "images/unpack/layer_unpacker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <array>
#include <unordered_set>
#include <vector>

#include "common/path_beneath.h"
#include "images/unpack/layer_entries.h"
#include "images/unpack/tar_reader.h"

namespace berth::images {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

struct DirTime {
  std::string path;
  int64_t sec;
  uint32_t nsec;
};

std::pair<std::string, std::string> split_parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// Moves an entry beneath `prefix` to the layer root (hard link targets too); false for an
// entry outside it, which the caller skips.
Result<bool> rebase_on_prefix(TarEntry& e, const std::string& prefix) {
  BERTH_ASSIGN(std::string path, detail::clean_entry_path(e.path));
  if (path == prefix) {
    e.path = ".";
    return true;
  }
  if (!path.starts_with(prefix + "/")) return false;
  e.path = path.substr(prefix.size() + 1);
  if (e.type != TarType::kHardLink) return true;
  BERTH_ASSIGN(std::string target, detail::clean_entry_path(e.link_target).context("hard link"));
  if (!target.starts_with(prefix + "/")) {
    return Error(EPERM, "hard link to \"" + e.link_target + "\" outside the layer root " + prefix + "/");
  }
  e.link_target = target.substr(prefix.size() + 1);
  return true;
}

class Unpacker {
 public:
  Unpacker(int root_fd, const UnpackPolicy& policy) : root_fd_(root_fd), policy_(policy) {}

  Status entry(TarReader& tar, const TarEntry& e);
  Status finish_dir_times();

 private:
  Result<UniqueFd> parent_dir(const std::string& dir, bool create);
  Status whiteout(const std::string& dir, const std::string& name);
  Status opaque(const std::string& dir);

  int root_fd_;
  const UnpackPolicy& policy_;
  std::unordered_set<std::string> created_;  // paths this layer wrote: whiteouts spare them
  std::vector<DirTime> dir_times_;
};

Result<UniqueFd> Unpacker::parent_dir(const std::string& dir, bool create) {
  // Symlinks among the parents are followed as the container would see them, always
  // beneath the root; the entry's own name is then only used with *at calls.
  BERTH_ASSIGN(UniqueFd fd, open_beneath(root_fd_, dir, create, false));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat parent \"" + dir + "\"");
  if (!S_ISDIR(st.st_mode)) return Error(ENOTDIR, "parent \"" + dir + "\" is not a directory");
  return fd;
}

Status Unpacker::whiteout(const std::string& dir, const std::string& name) {
  if (name.empty() || name == "." || name == "..") {
    return Error(EPERM, "whiteout of \"" + name + "\": refused, it names no entry in the directory");
  }
  if (policy_.whiteouts == WhiteoutMode::kOverlay) {
    BERTH_ASSIGN(UniqueFd parent, parent_dir(dir, true));
    BERTH_TRY(detail::make_room(parent.get(), name, false));
    if (::mknodat(parent.get(), name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
      return Error::from_errno("make overlay whiteout " + join(dir, name));
    }
    return ok();
  }
  if (created_.contains(join(dir, name))) return ok();  // whiteouts hide lower layers only
  auto parent = parent_dir(dir, false);
  if (!parent && parent.error().code() == ENOENT) return ok();  // nothing below to hide
  if (!parent) return std::move(parent).error();
  return detail::remove_at(parent->get(), name);
}

Status Unpacker::opaque(const std::string& dir) {
  BERTH_ASSIGN(UniqueFd parent, parent_dir(dir, true));
  if (policy_.whiteouts == WhiteoutMode::kOverlay) {
    if (::setxattr(fd_path(parent.get()).c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
      return Error::from_errno("mark \"" + dir + "\" opaque (trusted.overlay.opaque)");
    }
    return ok();
  }
  BERTH_ASSIGN(auto names, detail::children_of(parent.get()));
  std::vector<std::string> lower;
  for (auto& n : names) {
    if (!created_.contains(join(dir, n))) lower.push_back(std::move(n));
  }
  for (const auto& n : lower) BERTH_TRY(detail::remove_at(parent.get(), n));
  return ok();
}

Status Unpacker::entry(TarReader& tar, const TarEntry& e) {
  BERTH_ASSIGN(std::string path, detail::clean_entry_path(e.path));
  if (path.empty()) {
    BERTH_TRY(detail::set_root_metadata(e, root_fd_, policy_));
    dir_times_.push_back({"", e.mtime_sec, e.mtime_nsec});
    return ok();
  }
  auto [dir, name] = split_parent(path);
  if (name == kOpaqueMarker) return opaque(dir);
  if (name.starts_with(kWhiteoutPrefix)) return whiteout(dir, name.substr(kWhiteoutPrefix.size()));
  bool node = e.type == TarType::kCharDevice || e.type == TarType::kBlockDevice || e.type == TarType::kFifo;
  if (node && policy_.devices == DeviceNodes::kSkip) return ok();
  if (node && policy_.devices == DeviceNodes::kRefuse) {
    return Error(EPERM, "device nodes and fifos are refused by the unpack policy");
  }
  if (e.type == TarType::kSymlink && detail::climbs_out_of_root(dir, e.link_target)) {
    return Error(EPERM, "symlink to \"" + e.link_target + "\" climbs out of the layer root");
  }
  // A sparse file costs the disk only its data, but whatever copies it later (a copy
  // snapshot, a tar of the container) may fill every hole: it gets the layer's size limit.
  if (e.sparse && e.size > policy_.max_unpacked_bytes) {
    return Error(EFBIG, "sparse file of " + std::to_string(e.size) + " bytes is larger than the limit of " +
                            std::to_string(policy_.max_unpacked_bytes) + " bytes");
  }
  BERTH_ASSIGN(UniqueFd parent, parent_dir(dir, true));
  BERTH_TRY(detail::make_room(parent.get(), name, e.type == TarType::kDirectory));
  BERTH_TRY(detail::create_entry(tar, e, root_fd_, parent.get(), name, policy_));
  created_.insert(path);
  if (e.type == TarType::kDirectory) dir_times_.push_back({path, e.mtime_sec, e.mtime_nsec});
  return ok();
}

Status Unpacker::finish_dir_times() {
  // Deepest first is not needed (a utime does not touch the parent), but entries made
  // after a directory changed its mtime, so this runs once everything is in place.
  for (const auto& t : dir_times_) {
    auto [dir, name] = split_parent(t.path);
    std::array<timespec, 2> ts{};
    ts[0].tv_sec = ts[1].tv_sec = t.sec;
    ts[0].tv_nsec = ts[1].tv_nsec = t.nsec;
    if (t.path.empty()) {
      if (::utimensat(AT_FDCWD, fd_path(root_fd_).c_str(), ts.data(), 0) != 0) {
        return Error::from_errno("set the mtime of the layer root");
      }
      continue;
    }
    auto parent = open_in_root(root_fd_, dir, O_PATH | O_DIRECTORY);
    if (!parent) continue;  // removed by a later whiteout
    if (::utimensat(parent->get(), name.c_str(), ts.data(), AT_SYMLINK_NOFOLLOW) != 0 && errno != ENOENT) {
      return Error::from_errno("set the mtime of \"" + t.path + "\"");
    }
  }
  return ok();
}

}  // namespace

Result<UnpackResult> unpack_layer(ByteSource& blob, int root_fd, const UnpackPolicy& policy) {
  LayerStream stream(blob, policy.max_unpacked_bytes);
  TarReader tar(stream, TarLimits{policy.max_header_bytes});
  Unpacker unpacker(root_fd, policy);
  UnpackResult result;
  std::string last = "(none)";
  for (;;) {
    auto next = tar.next();
    if (!next) return std::move(next).error().context("layer: after entry \"" + last + "\"");
    if (!*next) break;
    TarEntry& e = **next;
    if (++result.entries > policy.max_entries) {
      return Error(EFBIG, "layer: more than " + std::to_string(policy.max_entries) + " entries (the policy's limit)");
    }
    last = e.path;
    if (!policy.root_prefix.empty()) {
      BERTH_ASSIGN(bool inside, rebase_on_prefix(e, policy.root_prefix).context("layer entry \"" + last + "\""));
      if (!inside) continue;
    }
    BERTH_TRY(unpacker.entry(tar, e).context("layer entry \"" + last + "\""));
  }
  BERTH_TRY(unpacker.finish_dir_times().context("layer"));
  BERTH_ASSIGN(result.diff_id, stream.finish().context("layer: after the end-of-archive blocks"));
  result.uncompressed_bytes = stream.bytes();
  result.compression = stream.compression();
  return result;
}

Result<UnpackResult> unpack_layer(int blob_fd, int root_fd, const UnpackPolicy& policy) {
  FdSource source(blob_fd);
  return unpack_layer(source, root_fd, policy);
}

}  // namespace berth::images
