// Image records: a name ("docker.io/library/busybox:latest") pointing at a manifest in the
// content store, with what the engine needs without re-reading the blobs (config, layers
// with media types and diff_ids, chain IDs). Records are the roots of the store's garbage
// collection. Stored as cereal JSON, one file per name, written atomically.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "images/digest/digest.h"
#include "images/store/content_store.h"

namespace berth::images {

struct LayerRecord {
  Digest digest;           // the blob in the content store (compressed as media_type says)
  std::string media_type;  // tells the unpacker the compression: layer_compression(media_type)
  uint64_t size = 0;       // bytes of the blob
  Digest diff_id;          // sha256 of the uncompressed tar: the unpacker must check it
  Digest chain_id;         // names the snapshot of layers 0..this one
};

struct ImageRecord {
  static constexpr int kVersion = 1;
  int version = kVersion;
  std::string name;        // normalised reference
  Digest index_digest;     // the index it was chosen from; empty for a single manifest
  Digest manifest_digest;  // the GC root
  std::string manifest_media_type;
  Digest config_digest;
  std::string os;
  std::string architecture;
  std::string variant;
  std::vector<LayerRecord> layers;  // bottom first
};

Status save_image_record(const ContentStore& store, const ImageRecord& record);
// ENOENT, naming the image, when there is none.
Result<ImageRecord> load_image_record(const ContentStore& store, std::string_view name);
Result<std::vector<ImageRecord>> list_image_records(const ContentStore& store);
Status remove_image_record(const ContentStore& store, std::string_view name);

}  // namespace berth::images
