// Applies one image layer (a gzip, zstd or plain tar stream) onto a directory. Every path
// is resolved beneath that directory (openat2 RESOLVE_IN_ROOT, then *at calls that never
// follow the last component), so no entry, symlink, hard link or whiteout can touch
// anything outside it. It never mounts; it returns the layer's diff_id for the caller to check.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "images/unpack/layer_stream.h"

namespace berth::images {

// How OCI whiteouts (".wh.<name>", ".wh..wh..opq") are written.
enum class WhiteoutMode {
  kApply,    // delete from the lower content in place: the copy snapshotter's merged root
  kOverlay,  // record them as overlayfs does: a 0:0 char device, trusted.overlay.opaque=y
};

enum class DeviceNodes {
  kCreate,  // mknod device nodes and fifos (root unpacking an image for a runtime)
  kSkip,    // leave them out silently (rootless unpacking)
  kRefuse,  // a layer that carries one is an error
};

struct UnpackPolicy {
  WhiteoutMode whiteouts = WhiteoutMode::kApply;
  DeviceNodes devices = DeviceNodes::kRefuse;
  bool preserve_owners = true;                // lchown to the archive's uid/gid (needs CAP_CHOWN)
  bool allow_setid = true;                    // keep setuid/setgid bits on files
  bool xattrs = true;                         // write SCHILY.xattr.* (security.capability included)
  uint64_t max_header_bytes = 1 << 20;        // pax records + GNU long names of one entry
  uint64_t max_unpacked_bytes = 64ULL << 30;  // the uncompressed tar stream
  uint64_t max_entries = 1'000'000;
  // When set ("rootfs" for an AppC image), the layer root is this directory of the archive:
  // entries beneath it are unpacked relative to it, every other entry is skipped.
  std::string root_prefix;
};

struct UnpackResult {
  std::string diff_id;  // "sha256:<hex>" of the uncompressed tar stream
  uint64_t uncompressed_bytes = 0;
  uint64_t entries = 0;
  LayerCompression compression = LayerCompression::kNone;  // as detected from the magic bytes
};

// Unpacks the layer read from `blob_fd` (from its current offset) onto the directory
// `root_fd`. On error the directory holds part of the layer: unpack into a fresh
// directory and discard it (the snapshotter does).
Result<UnpackResult> unpack_layer(int blob_fd, int root_fd, const UnpackPolicy& policy);
Result<UnpackResult> unpack_layer(ByteSource& blob, int root_fd, const UnpackPolicy& policy);

}  // namespace berth::images
