// ACIs in berth's content store. An ACI is stored uncompressed under its image ID (the
// sha512 of its tar, so the blob digest is the ID) and its manifest as a small sha256 blob;
// an ordinary ImageRecord named "sha512-<hex>" roots both for garbage collection (its one
// layer is the ACI, its config the manifest), so prune and disk usage need nothing new.
// Lookups by (truncated) ID or by name and labels read only the records and manifests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "images/appc/aci_archive.h"
#include "images/appc/image_manifest.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images::appc {

// berth's own media types: AppC registered none.
inline constexpr std::string_view kAciMediaType = "application/vnd.appc.aci.tar";
inline constexpr std::string_view kAciManifestMediaType = "application/vnd.appc.image-manifest+json";

struct AciImage {
  Digest id;  // sha512 of the uncompressed tar
  ImageManifest manifest;
  ImageRecord record;
  [[nodiscard]] std::string id_text() const { return image_id(id); }
};

struct AciImportOptions {
  std::string expected_id;    // hex, maybe truncated (a dependency's imageID): anything else is refused
  std::string expected_name;  // when set, the manifest's name must be this (discovery)
  Labels expected_labels;     // and its labels must match these
  uint64_t max_tar_bytes = 64ULL << 30;
};

// Imports the ACI read from `fd` (`what` names it in messages): inspected, verified, stored
// and recorded; on any error the store holds nothing new. Importing it again is a no-op.
Result<AciImage> import_aci(ContentStore& store, int fd, const std::string& what, const AciImportOptions& options = {});
Result<AciImage> import_aci_file(ContentStore& store, const std::string& path, const AciImportOptions& options = {});

bool is_aci_record(const ImageRecord& record);
Result<AciImage> load_aci(const ContentStore& store, const ImageRecord& record);
Result<std::vector<AciImage>> list_acis(const ContentStore& store);

// "sha512-<hex>", full or truncated (at least 12 hex digits); an ambiguous prefix is refused.
Result<AciImage> find_aci_by_id(const ContentStore& store, std::string_view id_text);
// The image named `name` whose labels match `labels` (labels_match); when several do, the
// one with the greatest "version" label. nullopt when none does.
Result<std::optional<AciImage>> find_aci(const ContentStore& store, std::string_view name, const Labels& labels);

}  // namespace berth::images::appc
