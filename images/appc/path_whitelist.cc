#include "images/appc/path_whitelist.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "common/file.h"
#include "common/strings.h"
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

// ustar with a pax "path" record for long names: only what a whiteout layer needs.
class TarWriter {
 public:
  void directory(const std::string& path, const struct stat& st) { entry(path + "/", '5', st); }
  void empty_file(const std::string& path) {
    struct stat st {};
    st.st_mode = 0644;
    entry(path, '0', st);
  }
  std::string finish() {
    out_.append(1024, '\0');
    return std::move(out_);
  }

 private:
  static void octal(char* field, size_t len, uint64_t value) {
    std::snprintf(field, len, "%0*llo", static_cast<int>(len - 1), static_cast<unsigned long long>(value));
  }
  void header(const std::string& name, char type, const struct stat& st, uint64_t size) {
    std::string h(512, '\0');
    name.copy(h.data(), std::min<size_t>(name.size(), 99));
    octal(&h[100], 8, st.st_mode & 07777);
    octal(&h[108], 8, st.st_uid);
    octal(&h[116], 8, st.st_gid);
    octal(&h[124], 12, size);
    octal(&h[136], 12, static_cast<uint64_t>(std::max<int64_t>(0, st.st_mtim.tv_sec)));
    h[156] = type;
    std::string("ustar").copy(&h[257], 5);
    h[263] = h[264] = '0';
    h.replace(148, 8, 8, ' ');
    unsigned sum = 0;
    for (char c : h) sum += static_cast<unsigned char>(c);
    octal(&h[148], 7, sum);
    out_ += h;
  }
  void entry(const std::string& path, char type, const struct stat& st) {
    if (path.size() > 99) {
      std::string body = " path=" + path + "\n";
      size_t len = body.size() + 1;
      while (std::to_string(len).size() + body.size() != len) ++len;
      std::string record = std::to_string(len) + body;
      header("././@PaxHeader", 'x', {}, record.size());
      out_ += record;
      out_.append((512 - record.size() % 512) % 512, '\0');
    }
    header(path, type, st, 0);
  }
  std::string out_;
};

Result<std::string> whiteout_tar(const Tree& tree, const std::vector<std::string>& whitelist) {
  TarWriter tar;
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
      tar.directory(p, tree.at(p).st);
      dirs_written.insert(p);
    }
    tar.empty_file(child(parent, ".wh." + path.substr(parent.empty() ? 0 : parent.size() + 1)));
  }
  return tar.finish();
}

Result<UniqueFd> memory_file(const std::string& data) {
  UniqueFd fd(::memfd_create("berth-appc-whitelist", MFD_CLOEXEC));
  if (!fd) return Error::from_errno("memfd_create");
  BERTH_TRY(write_all(fd.get(), data, "whiteout layer"));
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
  BERTH_ASSIGN(std::string tar, whiteout_tar(tree, keep));
  auto memfd = std::make_shared<UniqueFd>();
  BERTH_ASSIGN(*memfd, memory_file(tar));
  return LayerSource{.chain_id = Digest::of(name).str(), .open_blob = [memfd]() -> Result<UniqueFd> {
                       UniqueFd copy(::fcntl(memfd->get(), F_DUPFD_CLOEXEC, 0));
                       if (!copy) return Error::from_errno("dup the whiteout layer");
                       if (::lseek(copy.get(), 0, SEEK_SET) != 0) return Error::from_errno("seek the whiteout layer");
                       return copy;
                     }};
}

}  // namespace berth::images::appc
