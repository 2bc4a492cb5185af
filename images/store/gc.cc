#include "images/store/gc.h"

#include <map>

#include "images/oci/manifest.h"

namespace berth::images {
namespace {

Status mark_manifest(const ContentStore& store, const Digest& digest, std::set<Digest>& marked) {
  marked.insert(digest);
  BERTH_ASSIGN(std::string json, store.read_blob(digest));
  BERTH_ASSIGN(Manifest manifest, parse_manifest(json).context("blob " + digest.str()));
  marked.insert(manifest.config.digest);
  for (const Descriptor& layer : manifest.layers) marked.insert(layer.digest);
  return ok();
}

// Marks an index and, recursively, the children the store holds: a multi-platform import
// keeps only the manifest it chose.
Status mark_index(const ContentStore& store, const Digest& digest, std::set<Digest>& marked, int depth) {
  if (depth > 8) return Error(ELOOP, "blob " + digest.str() + ": indexes nested too deep");
  marked.insert(digest);
  BERTH_ASSIGN(std::string json, store.read_blob(digest));
  BERTH_ASSIGN(Index index, parse_index(json).context("blob " + digest.str()));
  for (const Descriptor& child : index.manifests) {
    if (!store.has(child.digest)) continue;
    if (is_index_media_type(child.media_type)) {
      BERTH_TRY(mark_index(store, child.digest, marked, depth + 1));
    } else if (is_manifest_media_type(child.media_type)) {
      BERTH_TRY(mark_manifest(store, child.digest, marked));
    } else {
      marked.insert(child.digest);
    }
  }
  return ok();
}

}  // namespace

Result<std::set<Digest>> referenced_blobs(const ContentStore& store, const ImageRecord& record) {
  std::set<Digest> marked;
  if (!record.index_digest.empty() && store.has(record.index_digest)) {
    BERTH_TRY(mark_index(store, record.index_digest, marked, 0).context("image " + record.name));
  }
  if (!record.manifest_digest.empty() && store.has(record.manifest_digest)) {
    BERTH_TRY(mark_manifest(store, record.manifest_digest, marked).context("image " + record.name));
  }
  // The record's own copy: still marked when a manifest went missing.
  if (!record.manifest_digest.empty()) marked.insert(record.manifest_digest);
  if (!record.config_digest.empty()) marked.insert(record.config_digest);
  for (const LayerRecord& layer : record.layers) marked.insert(layer.digest);
  return marked;
}

Result<PruneReport> prune(ContentStore& store) {
  BERTH_ASSIGN(StoreLock lock, store.lock(/*exclusive=*/true));
  BERTH_ASSIGN(auto records, list_image_records(store));
  std::set<Digest> marked;
  for (const ImageRecord& record : records) {
    BERTH_ASSIGN(auto blobs, referenced_blobs(store, record));
    marked.insert(blobs.begin(), blobs.end());
  }
  BERTH_ASSIGN(auto blobs, store.list_blobs());
  PruneReport report;
  for (const BlobInfo& blob : blobs) {
    if (marked.count(blob.digest) != 0) continue;
    BERTH_TRY(store.remove_blob(blob.digest));
    report.removed.push_back(blob.digest);
    report.bytes_freed += blob.size;
  }
  return report;
}

Result<DiskUsage> disk_usage(const ContentStore& store) {
  BERTH_ASSIGN(auto blobs, store.list_blobs());
  std::map<Digest, uint64_t> sizes;
  DiskUsage usage;
  for (const BlobInfo& blob : blobs) {
    sizes[blob.digest] = blob.size;
    usage.total_bytes += blob.size;
  }
  BERTH_ASSIGN(auto records, list_image_records(store));
  std::vector<std::set<Digest>> referenced;
  std::map<Digest, int> users;
  for (const ImageRecord& record : records) {
    BERTH_ASSIGN(auto marked, referenced_blobs(store, record));
    for (const Digest& d : marked) ++users[d];
    referenced.push_back(std::move(marked));
  }
  for (size_t i = 0; i < records.size(); ++i) {
    ImageUsage image{.name = records[i].name};
    for (const Digest& d : referenced[i]) {
      auto it = sizes.find(d);
      if (it == sizes.end()) continue;  // not (or no longer) in the store
      image.total_bytes += it->second;
      (users[d] > 1 ? image.shared_bytes : image.unique_bytes) += it->second;
    }
    usage.images.push_back(std::move(image));
  }
  for (const auto& [digest, size] : sizes) {
    if (users.count(digest) == 0) usage.unreferenced_bytes += size;
  }
  return usage;
}

}  // namespace berth::images
