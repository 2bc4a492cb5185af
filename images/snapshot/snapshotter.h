// Container root file systems made from image layers, containerd-snapshotter style: each
// layer is unpacked once into <root>/layers/<chain ID hex>/fs and shared by every image and
// container that has it; a container's root is described (never mounted here) as an
// overlay of those dirs plus its own upper and work dirs, or, where there is no overlayfs,
// materialised by copying the layers in order. runtime/linux makes the mounts.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/result.h"
#include "images/unpack/layer_unpacker.h"

namespace berth::images {

enum class SnapshotBackend { kOverlay, kCopy };

// Whether an unpacked layer is flushed to disk before it gets its name.
enum class LayerSync {
  // syncfs(2) before the rename: after a crash a named layer is whole. syncfs flushes the
  // whole file system, so it also waits for what every other process has written.
  kSyncfs,
  // No flush, as containerd's overlayfs snapshotter by default: after a power loss a named
  // layer may hold truncated files, and the layers must be removed and pulled again.
  kNone,
};

struct LayerSource {
  std::string chain_id;                         // "sha256:<hex>": the layer together with every layer below it
  std::string diff_id;                          // "sha256:<hex>" of the uncompressed tar, checked; "" skips the check
  std::function<Result<UniqueFd>()> open_blob;  // the (compressed) layer blob, from its start
  std::string media_type;                       // the manifest's layer media type, checked against the blob; "" skips
  std::string root_prefix;                      // UnpackPolicy::root_prefix: "rootfs" for an AppC image
};

// A mount to make, as containerd's mount.Mount: runtime/linux turns it into mount(2).
struct MountSpec {
  std::string type;  // "overlay" or "bind"
  std::string source;
  std::vector<std::string> options;  // "lowerdir=...", "upperdir=...", "workdir=..."; "rbind"
};

class Snapshotter {
 public:
  // `root` (e.g. /var/lib/berth/snapshots) is made when missing; half-made layers that a
  // crashed process left behind are removed. `policy` applies to every layer unpacked
  // (its whiteout mode is chosen by the backend); `sync` says whether a layer is flushed.
  static Result<Snapshotter> open(const std::string& root, SnapshotBackend backend, UnpackPolicy policy,
                                  LayerSync sync = LayerSync::kSyncfs);

  // Unpacks the layer into <root>/layers/<hex>/fs unless it is there already. Concurrent
  // callers (threads or processes) unpack it once: the others wait on its flock.
  // Returns the fs directory. Layers are always stored as overlay diffs.
  Result<std::string> ensure_layer(const LayerSource& layer);

  // Makes container `id`'s snapshot from `layers` (bottom first) and returns the mounts
  // that make its root; missing layers are unpacked in parallel (overlay). Refuses an id
  // that already has a snapshot.
  Result<std::vector<MountSpec>> prepare(const std::string& id, const std::vector<LayerSource>& layers);
  // The mounts of an existing snapshot (after a daemon restart).
  [[nodiscard]] Result<std::vector<MountSpec>> mounts(const std::string& id) const;
  // Removes the snapshot's own dirs (the caller has unmounted it); shared layers stay.
  Status remove(const std::string& id);

  // Chain IDs of the unpacked layers, and of those no container snapshot uses.
  [[nodiscard]] Result<std::vector<std::string>> layers() const;
  [[nodiscard]] Result<std::vector<std::string>> unused_layers() const;
  // Removes an unpacked layer; refused (EBUSY) while a snapshot uses it.
  Status remove_layer(const std::string& chain_id);

  [[nodiscard]] const std::string& root() const { return root_; }
  [[nodiscard]] std::string layer_dir(const std::string& chain_id) const;

 private:
  Snapshotter(std::string root, SnapshotBackend backend, UnpackPolicy policy, LayerSync sync)
      : root_(std::move(root)), backend_(backend), policy_(std::move(policy)), sync_(sync) {}
  Result<UniqueFd> lock_layer(const std::string& hex, int how) const;
  Status unpack_new_layer(const LayerSource& layer, const std::string& hex);
  Result<UniqueFd> ensure_layer_shared(const LayerSource& layer);
  Result<std::vector<UniqueFd>> ensure_layers_shared(const std::vector<LayerSource>& layers);
  Status materialise_copy(const std::string& fs, const std::vector<LayerSource>& layers);
  [[nodiscard]] Result<std::vector<std::string>> used_layers() const;

  std::string root_;
  SnapshotBackend backend_;
  UnpackPolicy policy_;
  LayerSync sync_;
};

}  // namespace berth::images
