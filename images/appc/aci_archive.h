// Reading an ACI file (a tar, plain or gzip/zstd-compressed as its magic bytes say, holding
// `manifest` and `rootfs/`): one streaming pass that finds and bounds the manifest, refuses
// hostile entries (absolute or ".." paths, symlinks or hard links leaving rootfs/) and
// hashes the uncompressed tar (sha512: the image ID; sha256: the layer's diff_id). It never
// writes a file.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "images/digest/digest.h"
#include "images/oci/descriptor.h"
#include "images/unpack/layer_stream.h"

namespace berth::images::appc {

inline constexpr std::string_view kManifestEntry = "manifest";
inline constexpr std::string_view kRootfsDir = "rootfs";
inline constexpr uint64_t kMaxManifestBytes = uint64_t{1} << 20;

struct AciLimits {
  uint64_t max_tar_bytes = 64ULL << 30;  // the uncompressed tar
  uint64_t max_header_bytes = 1 << 20;   // pax records and long names of one entry
};

struct AciContents {
  Digest id;                     // sha512 of the uncompressed tar
  Digest diff_id;                // sha256 of the same bytes
  uint64_t tar_bytes = 0;        // the uncompressed tar's size
  std::string manifest;          // the `manifest` file, unparsed
  uint64_t ignored_entries = 0;  // entries outside manifest and rootfs/ (not rendered)
  LayerCompression compression = LayerCompression::kNone;
};

// Reads `fd` from offset 0 to its end.
Result<AciContents> inspect_aci(int fd, const AciLimits& limits = {});

}  // namespace berth::images::appc
