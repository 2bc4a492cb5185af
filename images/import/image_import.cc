#include "images/import/image_import.h"

#include <cerrno>
#include <set>

#include "images/oci/image_config.h"
#include "images/oci/manifest.h"
#include "images/reference/reference.h"
#include "images/store/gc.h"

namespace berth::images {

ImportTransaction::~ImportTransaction() {
  try {
    roll_back();
  } catch (...) {  // only std::bad_alloc: the blobs then stay for prune()
  }
}

// Best effort, from a destructor: when anything is unclear the blobs stay for prune().
void ImportTransaction::roll_back() {
  if (added_.empty() || !lock_.make_exclusive()) return;
  auto records = list_image_records(store_);
  if (!records) return;
  std::set<Digest> referenced;
  for (const ImageRecord& record : *records) {
    auto blobs = referenced_blobs(store_, record);
    if (!blobs) return;
    referenced.insert(blobs->begin(), blobs->end());
  }
  for (const Digest& d : added_) {
    if (referenced.count(d) == 0) (void)store_.remove_blob(d);
  }
}

Status ImportTransaction::ingest(const Descriptor& d, const BlobOpener& opener) {
  if (store_.has(d.digest)) return ok();
  BERTH_ASSIGN(ByteReader reader, opener(d));
  BERTH_ASSIGN(bool written, store_.ingest(reader, d.digest, d.size));
  if (written) added_.push_back(d.digest);
  return ok();
}

Result<Digest> ImportTransaction::put(std::string_view data) {
  Digest digest = Digest::of(data);
  bool had = store_.has(digest);
  BERTH_TRY(store_.put(data));
  if (!had) added_.push_back(digest);
  return digest;
}

Result<std::string> normalised_name(const std::string& name) {
  BERTH_ASSIGN(Reference ref, Reference::parse_with_default_tag(name));
  return ref.str();
}

Result<ImageRecord> record_for_manifest(const ContentStore& store, const Descriptor& manifest_desc,
                                        const std::string& name) {
  BERTH_ASSIGN(std::string manifest_json, store.read_blob(manifest_desc.digest));
  BERTH_ASSIGN(
      Manifest manifest,
      parse_manifest(manifest_json, manifest_desc.media_type).context("manifest " + manifest_desc.digest.str()));
  BERTH_ASSIGN(std::string config_json, store.read_blob(manifest.config.digest));
  BERTH_ASSIGN(ImageConfig config, parse_image_config(config_json).context("config " + manifest.config.digest.str()));
  return record_from(manifest_desc, manifest, config, name);
}

Result<ImageRecord> record_from(const Descriptor& manifest_desc, const Manifest& manifest, const ImageConfig& config,
                                const std::string& name) {
  if (config.diff_ids.size() != manifest.layers.size()) {
    return Error(EINVAL, "image config " + manifest.config.digest.str() + " lists " +
                             std::to_string(config.diff_ids.size()) + " diff_ids for the manifest's " +
                             std::to_string(manifest.layers.size()) + " layers");
  }
  ImageRecord record{.name = name,
                     .manifest_digest = manifest_desc.digest,
                     .manifest_media_type = manifest.media_type,
                     .config_digest = manifest.config.digest,
                     .os = config.os,
                     .architecture = config.architecture,
                     .variant = config.variant};
  std::vector<Digest> chains = chain_ids(config.diff_ids);
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    const Descriptor& layer = manifest.layers[i];
    record.layers.push_back(LayerRecord{.digest = layer.digest,
                                        .media_type = layer.media_type,
                                        .size = layer.size,
                                        .diff_id = config.diff_ids[i],
                                        .chain_id = chains[i]});
  }
  return record;
}

Result<ImageRecord> ingest_image(ImportTransaction& tx, const ContentStore& store, const Descriptor& top,
                                 const BlobOpener& opener, const Platform& platform, const std::string& name) {
  BERTH_TRY(tx.ingest(top, opener));
  Descriptor manifest_desc = top;
  Digest index_digest;
  BERTH_ASSIGN(std::string top_json, store.read_blob(top.digest));
  BERTH_ASSIGN(ManifestKind kind, detect_manifest_kind(top_json, top.media_type).context("blob " + top.digest.str()));
  if (kind == ManifestKind::kIndex) {
    BERTH_ASSIGN(Index index, parse_index(top_json, top.media_type).context("blob " + top.digest.str()));
    BERTH_ASSIGN(manifest_desc, select_manifest(index, platform).context("index " + top.digest.str()));
    index_digest = top.digest;
    BERTH_TRY(tx.ingest(manifest_desc, opener));
  }
  BERTH_ASSIGN(std::string manifest_json, store.read_blob(manifest_desc.digest));
  BERTH_ASSIGN(
      Manifest manifest,
      parse_manifest(manifest_json, manifest_desc.media_type).context("manifest " + manifest_desc.digest.str()));
  BERTH_TRY(tx.ingest(manifest.config, opener));
  for (const Descriptor& layer : manifest.layers) {
    BERTH_TRY(tx.ingest(layer, opener));
  }
  BERTH_ASSIGN(ImageRecord record, record_for_manifest(store, manifest_desc, name));
  record.index_digest = index_digest;
  return record;
}

}  // namespace berth::images
