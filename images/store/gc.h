// Garbage collection and disk usage of the content store. Image records are the roots:
// a record marks its manifest, the manifest its config and layers, and an index the
// manifests of it that the store holds. prune() removes every blob nothing marks.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "images/digest/digest.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images {

// The blobs `record` keeps alive. A manifest or index the store holds but cannot parse is
// an error: collecting around it could delete what it references.
Result<std::set<Digest>> referenced_blobs(const ContentStore& store, const ImageRecord& record);

struct PruneReport {
  std::vector<Digest> removed;
  uint64_t bytes_freed = 0;
};

// Removes the blobs no image record references, under the store's exclusive lock.
Result<PruneReport> prune(ContentStore& store);

struct ImageUsage {
  std::string name;
  uint64_t total_bytes = 0;   // every blob the image references
  uint64_t shared_bytes = 0;  // of those, blobs another image references too
  uint64_t unique_bytes = 0;  // what removing this image alone would free
};

struct DiskUsage {
  uint64_t total_bytes = 0;         // every blob in the store
  uint64_t unreferenced_bytes = 0;  // what prune() would free
  std::vector<ImageUsage> images;   // sorted by name
};

Result<DiskUsage> disk_usage(const ContentStore& store);

}  // namespace berth::images
