// Layer dirs shared under flock, overlay and copy snapshots, and unused-layer removal.
#include "images/snapshot/snapshotter.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <set>
#include <thread>

#include "common/file.h"
#include "images/snapshot/snapshot_record.h"

namespace berth::images {
namespace {

constexpr std::string_view kRecord = "snapshot.json";

Result<std::string> make_temp_dir(const std::string& parent, const std::string& prefix) {
  std::string tmpl = path_join(parent, prefix + "-XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) return Error::from_errno("mkdtemp " + tmpl);
  return tmpl;
}

// Removes a temp dir unless dismissed: a failed unpack leaves nothing behind.
class TempDirGuard {
 public:
  explicit TempDirGuard(std::string path) : path_(std::move(path)) {}
  ~TempDirGuard() {
    if (!path_.empty()) (void)remove_tree(path_);
  }
  TempDirGuard(const TempDirGuard&) = delete;
  TempDirGuard& operator=(const TempDirGuard&) = delete;
  void dismiss() { path_.clear(); }

 private:
  std::string path_;
};

Status check_diff_id(const LayerSource& layer, const UnpackResult& got) {
  if (!layer.media_type.empty()) {
    BERTH_ASSIGN(LayerCompression want, layer_compression(layer.media_type).context("layer " + layer.chain_id));
    if (want != got.compression) {
      return Error(EBADMSG, "layer " + layer.chain_id + ": the blob is " +
                                std::string(compression_name(got.compression)) + ", its media type " +
                                layer.media_type + " says " + std::string(compression_name(want)));
    }
  }
  if (layer.diff_id.empty() || layer.diff_id == got.diff_id) return ok();
  return Error(EBADMSG,
               "layer " + layer.chain_id + ": diff_id is " + got.diff_id + ", the image says " + layer.diff_id);
}

Result<UnpackResult> unpack_blob(const LayerSource& layer, const std::string& dir, const UnpackPolicy& policy) {
  if (!layer.open_blob) return Error(EINVAL, "layer " + layer.chain_id + ": no blob to unpack");
  BERTH_ASSIGN(UniqueFd blob, layer.open_blob());
  BERTH_ASSIGN(UniqueFd root, open_path(dir, O_PATH | O_DIRECTORY));
  UnpackPolicy layer_policy = policy;
  layer_policy.root_prefix = layer.root_prefix;
  BERTH_ASSIGN(UnpackResult r, unpack_layer(blob.get(), root.get(), layer_policy).context("layer " + layer.chain_id));
  BERTH_TRY(check_diff_id(layer, r));
  return r;
}

}  // namespace

Result<Snapshotter> Snapshotter::open(const std::string& root, SnapshotBackend backend, UnpackPolicy policy,
                                      LayerSync sync) {
  for (const char* sub : {"layers", "containers", "locks", "tmp"}) {
    BERTH_TRY(mkdir_p(path_join(root, sub), 0700));
  }
  Snapshotter s(root, backend, std::move(policy), sync);
  // tmp/<hex>-XXXXXX whose layer lock is free belongs to a process that died mid-unpack.
  BERTH_ASSIGN(auto leftovers, list_dir(path_join(root, "tmp")));
  for (const auto& name : leftovers) {
    auto lock = s.lock_layer(name.substr(0, name.find('-')), LOCK_EX | LOCK_NB);
    if (lock) BERTH_TRY(remove_tree(path_join(path_join(root, "tmp"), name)));
  }
  return s;
}

std::string Snapshotter::layer_dir(const std::string& chain_id) const {
  auto hex = chain_id_hex(chain_id);
  return path_join(path_join(root_, "layers"), hex ? *hex : chain_id);
}

Result<UniqueFd> Snapshotter::lock_layer(const std::string& hex, int how) const {
  std::string path = path_join(path_join(root_, "locks"), hex + ".lock");
  BERTH_ASSIGN(UniqueFd fd, open_path(path, O_RDWR | O_CREAT, 0600));
  int rc = 0;
  do {
    rc = ::flock(fd.get(), how);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Error::from_errno("lock " + path);
  return fd;
}

Status Snapshotter::unpack_new_layer(const LayerSource& layer, const std::string& hex) {
  BERTH_ASSIGN(std::string tmp, make_temp_dir(path_join(root_, "tmp"), hex));
  TempDirGuard guard(tmp);
  std::string fs = path_join(tmp, "fs");
  BERTH_TRY(mkdir_p(fs, 0755));
  UnpackPolicy policy = policy_;
  policy.whiteouts = WhiteoutMode::kOverlay;
  BERTH_ASSIGN(UnpackResult r, unpack_blob(layer, fs, policy));
  (void)r;
  if (sync_ == LayerSync::kSyncfs) {  // the layer is complete on disk before its name says so
    BERTH_ASSIGN(UniqueFd fs_fd, open_path(fs, O_RDONLY | O_DIRECTORY));
    if (::syncfs(fs_fd.get()) != 0) return Error::from_errno("syncfs " + fs);
  }
  std::string dest = path_join(path_join(root_, "layers"), hex);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) return Error::from_errno("rename " + tmp + " to " + dest);
  guard.dismiss();
  return sync_ == LayerSync::kSyncfs ? fsync_dir(path_join(root_, "layers")) : ok();
}

Result<std::string> Snapshotter::ensure_layer(const LayerSource& layer) {
  BERTH_ASSIGN(UniqueFd lock, ensure_layer_shared(layer));
  return path_join(layer_dir(layer.chain_id), "fs");
}

// Returns holding a shared lock on the layer, which remove_layer cannot take away.
Result<UniqueFd> Snapshotter::ensure_layer_shared(const LayerSource& layer) {
  BERTH_ASSIGN(std::string hex, chain_id_hex(layer.chain_id));
  std::string fs = path_join(layer_dir(layer.chain_id), "fs");
  for (;;) {
    BERTH_ASSIGN(UniqueFd shared, lock_layer(hex, LOCK_SH));
    if (path_exists(fs)) return shared;
    shared.reset();
    BERTH_ASSIGN(UniqueFd exclusive, lock_layer(hex, LOCK_EX));
    if (!path_exists(fs)) BERTH_TRY(unpack_new_layer(layer, hex));
  }
}

// Each layer is its own directory, so missing ones are unpacked side by side (one per CPU).
Result<std::vector<UniqueFd>> Snapshotter::ensure_layers_shared(const std::vector<LayerSource>& layers) {
  std::vector<std::optional<Result<UniqueFd>>> got(layers.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < layers.size(); i = next++) got[i].emplace(ensure_layer_shared(layers[i]));
  };
  const size_t workers = std::min<size_t>(layers.size(), std::max(1U, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  std::vector<UniqueFd> held;
  for (auto& r : got) {
    if (!*r) return std::move(*r).error();
    held.push_back(std::move(**r));
  }
  return held;
}

Result<std::vector<MountSpec>> Snapshotter::prepare(const std::string& id, const std::vector<LayerSource>& layers) {
  BERTH_TRY(check_snapshot_id(id));
  std::string dir = path_join(path_join(root_, "containers"), id);
  if (::mkdir(dir.c_str(), 0700) != 0) return Error::from_errno("snapshot " + id + ": mkdir " + dir);
  TempDirGuard guard(dir);
  SnapshotRecord record;
  std::vector<UniqueFd> held;  // shared layer locks until the record names the layers
  if (backend_ == SnapshotBackend::kOverlay) {
    record.backend = "overlay";
    BERTH_ASSIGN(held, ensure_layers_shared(layers).context("snapshot " + id));
    for (const auto& layer : layers) record.chain_ids.push_back(layer.chain_id);
    for (const char* sub : {"upper", "work", "empty"}) BERTH_TRY(mkdir_p(path_join(dir, sub), 0755));
  } else {
    record.backend = "copy";
    BERTH_TRY(mkdir_p(path_join(dir, "fs"), 0755));
    BERTH_TRY(materialise_copy(path_join(dir, "fs"), layers).context("snapshot " + id));
  }
  BERTH_TRY(write_snapshot_record(path_join(dir, kRecord), record));
  guard.dismiss();
  return mounts(id);
}

Status Snapshotter::materialise_copy(const std::string& fs, const std::vector<LayerSource>& layers) {
  UnpackPolicy policy = policy_;
  policy.whiteouts = WhiteoutMode::kApply;
  for (const auto& layer : layers) {
    BERTH_ASSIGN(UnpackResult r, unpack_blob(layer, fs, policy));
    (void)r;
  }
  return ok();
}

Result<std::vector<MountSpec>> Snapshotter::mounts(const std::string& id) const {
  BERTH_TRY(check_snapshot_id(id));
  std::string dir = path_join(path_join(root_, "containers"), id);
  BERTH_ASSIGN(SnapshotRecord record, read_snapshot_record(path_join(dir, kRecord)).context("snapshot " + id));
  if (record.backend == "copy") return std::vector<MountSpec>{{"bind", path_join(dir, "fs"), {"rbind", "rw"}}};
  // overlayfs wants the topmost lower dir first; no layers at all is an empty lower dir.
  std::string lower;
  std::vector<std::string> lowers;
  for (const auto& chain_id : record.chain_ids) lowers.push_back(path_join(layer_dir(chain_id), "fs"));
  std::reverse(lowers.begin(), lowers.end());
  for (const auto& l : lowers) lower += (lower.empty() ? "" : ":") + l;
  if (lower.empty()) lower = path_join(dir, "empty");
  return std::vector<MountSpec>{
      {"overlay",
       "overlay",
       {"lowerdir=" + lower, "upperdir=" + path_join(dir, "upper"), "workdir=" + path_join(dir, "work")}}};
}

Status Snapshotter::remove(const std::string& id) {
  BERTH_TRY(check_snapshot_id(id));
  std::string dir = path_join(path_join(root_, "containers"), id);
  if (!path_exists(dir)) return Error(ENOENT, "snapshot " + id + ": no such snapshot");
  // The record goes first: a crash midway leaves a dir no scan counts as using a layer.
  std::string gone = dir + ".removing";
  if (::rename(dir.c_str(), gone.c_str()) != 0) return Error::from_errno("snapshot " + id + ": rename " + dir);
  return remove_tree(gone).context("snapshot " + id);
}

Result<std::vector<std::string>> Snapshotter::layers() const {
  BERTH_ASSIGN(auto names, list_dir(path_join(root_, "layers")));
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (chain_id_hex("sha256:" + n)) out.push_back("sha256:" + n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> Snapshotter::used_layers() const {
  std::string containers = path_join(root_, "containers");
  BERTH_ASSIGN(auto ids, list_dir(containers));
  std::vector<std::string> used;
  for (const auto& id : ids) {
    std::string record_path = path_join(path_join(containers, id), kRecord);
    if (id.ends_with(".removing") || !path_exists(record_path)) continue;
    BERTH_ASSIGN(SnapshotRecord r, read_snapshot_record(record_path));
    used.insert(used.end(), r.chain_ids.begin(), r.chain_ids.end());
  }
  return used;
}

Result<std::vector<std::string>> Snapshotter::unused_layers() const {
  BERTH_ASSIGN(auto all, layers());
  BERTH_ASSIGN(auto used_list, used_layers());
  std::set<std::string> used(used_list.begin(), used_list.end());
  std::vector<std::string> out;
  for (auto& l : all) {
    if (!used.contains(l)) out.push_back(std::move(l));
  }
  return out;
}

Status Snapshotter::remove_layer(const std::string& chain_id) {
  BERTH_ASSIGN(std::string hex, chain_id_hex(chain_id));
  // The exclusive lock waits out any prepare() between unpacking and writing its record.
  BERTH_ASSIGN(UniqueFd lock, lock_layer(hex, LOCK_EX));
  BERTH_ASSIGN(auto used, used_layers());
  if (std::find(used.begin(), used.end(), chain_id) != used.end()) {
    return Error(EBUSY, "layer " + chain_id + ": a snapshot still uses it");
  }
  std::string dir = layer_dir(chain_id);
  if (!path_exists(dir)) return Error(ENOENT, "layer " + chain_id + ": not unpacked");
  BERTH_ASSIGN(std::string tmp, make_temp_dir(path_join(root_, "tmp"), hex));
  std::string gone = path_join(tmp, "fs-removed");
  if (::rename(dir.c_str(), gone.c_str()) != 0) return Error::from_errno("layer " + chain_id + ": rename " + dir);
  return remove_tree(tmp).context("layer " + chain_id);
}

}  // namespace berth::images
