#include "images/appc/path_whitelist.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <set>

#include "common/file.h"
#include "common/strings.h"
#include "images/export/tar_writer.h"
#include "images/unpack/layer_entries.h"

namespace berth::images::appc {
namespace {

struct Node {
  bool dir = false;
  struct stat st {};
};
using Tree = std::map<std::string, Node>;  // relative paths of the merged layers

void erase_subtree(Tree& tree, const std::string& path) {
  tree.erase(path);
  for (auto it = tree.lower_bound(path + "/"); it != tree.end() && it->first.starts_with(path + "/");) {
    it = tree.erase(it);
  }
}

std::string child(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// Adds one layer's paths on top of `tree`: its overlay whiteouts (0:0 char devices) hide.
Status merge_layer(int dir_fd, const std::string& rel, Tree& tree, int depth) {
  if (depth > 512) return Error(ELOOP, "directories nested too deep under \"" + rel + "\"");
  BERTH_ASSIGN(auto names, detail::children_of(dir_fd));
  for (const std::string& name : names) {
    std::string path = child(rel, name);
    Node node;
    if (::fstatat(dir_fd, name.c_str(), &node.st, AT_SYMLINK_NOFOLLOW) != 0) return Error::from_errno("stat " + path);
    if (S_ISCHR(node.st.st_mode) && node.st.st_rdev == makedev(0, 0)) {
      erase_subtree(tree, path);
      continue;
    }
    node.dir = S_ISDIR(node.st.st_mode);
    if (!node.dir) erase_subtree(tree, path);
    tree[path] = node;
    if (!node.dir) continue;
    UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return Error::from_errno("open " + path);
    BERTH_TRY(merge_layer(sub.get(), path, tree, depth + 1));
  }
  return ok();
}

bool kept(const std::string& path, const std::vector<std::string>& whitelist) {
  for (const std::string& w : whitelist) {
    if (path == w || path.starts_with(w + "/") || w.starts_with(path + "/")) return true;
  }
  return false;
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

TarMeta meta_of(const struct stat& st) {
  return {.mode = st.st_mode & 07777,
          .uid = st.st_uid,
          .gid = st.st_gid,
          .mtime = static_cast<uint64_t>(std::max<int64_t>(0, st.st_mtim.tv_sec))};
}

// The whiteouts hiding what the whitelist does not keep, as a tar in a memfd.
Result<UniqueFd> whiteout_tar(const Tree& tree, const std::vector<std::string>& whitelist) {
  UniqueFd fd(::memfd_create("berth-appc-whitelist", MFD_CLOEXEC));
  if (!fd) return Error::from_errno("memfd_create");
  TarWriter tar(fd.get(), "whiteout layer");
  std::set<std::string> hidden;
  std::set<std::string> dirs_written;
  for (const auto& [path, node] : tree) {
    if (kept(path, whitelist)) continue;
    std::string parent = parent_of(path);
    bool under_hidden = false;
    for (std::string p = parent; !p.empty() && !under_hidden; p = parent_of(p)) under_hidden = hidden.contains(p);
    if (under_hidden) continue;
    hidden.insert(path);
    // The parents, with their owner and mode from below: the upper copy is what overlay shows.
    std::vector<std::string> parents;
    for (std::string p = parent; !p.empty() && !dirs_written.contains(p); p = parent_of(p)) parents.push_back(p);
    std::reverse(parents.begin(), parents.end());  // outermost first
    for (const std::string& p : parents) {
      BERTH_TRY(tar.add_directory(p, meta_of(tree.at(p).st)));
      dirs_written.insert(p);
    }
    const std::string whiteout = child(parent, ".wh." + path.substr(parent.empty() ? 0 : parent.size() + 1));
    BERTH_TRY(tar.add_file(whiteout, string_reader(""), {.mode = 0644}));
  }
  BERTH_TRY(tar.finish());
  return fd;
}

}  // namespace

Result<LayerSource> whitelist_layer(Snapshotter& snapshots, const std::vector<LayerSource>& below,
                                    const std::vector<std::string>& whitelist) {
  std::vector<std::string> keep;
  for (const std::string& w : whitelist) {
    std::string trimmed(trim(w));
    while (trimmed.starts_with('/')) trimmed.erase(0, 1);
    while (trimmed.ends_with('/')) trimmed.pop_back();
    if (!trimmed.empty()) keep.push_back(trimmed);
  }
  Tree tree;
  std::string name = "appc whitelist";
  for (const LayerSource& layer : below) {
    BERTH_ASSIGN(std::string fs, snapshots.ensure_layer(layer));
    BERTH_ASSIGN(UniqueFd fd, open_path(fs, O_RDONLY | O_DIRECTORY));
    BERTH_TRY(merge_layer(fd.get(), "", tree, 0).context("layer " + layer.chain_id));
    name += " " + layer.chain_id;
  }
  for (const std::string& w : keep) name += "\n" + w;
  auto memfd = std::make_shared<UniqueFd>();
  BERTH_ASSIGN(*memfd, whiteout_tar(tree, keep));
  return LayerSource{.chain_id = Digest::of(name).str(), .open_blob = [memfd]() -> Result<UniqueFd> {
                       UniqueFd copy(::fcntl(memfd->get(), F_DUPFD_CLOEXEC, 0));
                       if (!copy) return Error::from_errno("dup the whiteout layer");
                       if (::lseek(copy.get(), 0, SEEK_SET) != 0) return Error::from_errno("seek the whiteout layer");
                       return copy;
                     }};
}

}  // namespace berth::images::appc
