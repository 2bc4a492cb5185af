#include "images/import/oci_layout.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "common/file.h"
#include "common/json.h"
#include "images/oci/manifest.h"

namespace berth::images {
namespace {

constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

Status check_layout_version(const std::string& dir) {
  std::string path = path_join(dir, "oci-layout");
  BERTH_ASSIGN(std::string text, read_file(path));
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(text, path));
  JsonNode root(doc);
  BERTH_ASSIGN(JsonNode version, required_field(root, "imageLayoutVersion"));
  BERTH_ASSIGN(std::string v, version.as_string());
  if (v != "1.0.0") return Error(EINVAL, path + ": imageLayoutVersion \"" + v + "\" is not 1.0.0");
  return ok();
}

std::string ref_of(const Descriptor& d) {
  auto it = d.annotations.find(std::string(kRefNameAnnotation));
  return it == d.annotations.end() ? std::string() : it->second;
}

// The entry of index.json to import: by ref name, the only one, or by platform among
// entries that all carry one.
Result<Descriptor> choose_entry(const Index& layout_index, const ImportOptions& options) {
  std::vector<Descriptor> candidates;
  std::string refs;
  for (const Descriptor& d : layout_index.manifests) {
    if (!ref_of(d).empty()) refs += (refs.empty() ? "" : ", ") + ref_of(d);
    if (options.ref.empty() || ref_of(d) == options.ref) candidates.push_back(d);
  }
  if (candidates.empty()) {
    return Error(ENOENT, "no image with ref name \"" + options.ref + "\" (the layout has " +
                             (refs.empty() ? std::string("none") : refs) + ")");
  }
  if (candidates.size() == 1) return candidates[0];
  bool all_have_platforms =
      std::all_of(candidates.begin(), candidates.end(), [](const Descriptor& d) { return d.platform.has_value(); });
  if (!all_have_platforms) {
    return Error(EINVAL, "the layout holds " + std::to_string(candidates.size()) + " images: choose one by ref name (" +
                             refs + ")");
  }
  Index subset{.media_type = layout_index.media_type, .manifests = candidates};
  return select_manifest(subset, options.platform);
}

BlobOpener layout_opener(const std::string& dir) {
  return [dir](const Descriptor& d) -> Result<ByteReader> {
    std::string path = dir + "/blobs/" + std::string(algorithm_name(d.digest.algorithm())) + "/" + d.digest.hex();
    BERTH_ASSIGN(UniqueFd fd, open_path(path, O_RDONLY | O_NOFOLLOW));
    auto shared = std::make_shared<UniqueFd>(std::move(fd));
    ByteReader inner = fd_reader(shared->get());
    return ByteReader([shared, inner](char* buf, size_t len) { return inner(buf, len); });
  };
}

Result<ImageRecord> import_layout(ContentStore& store, const std::string& dir, const ImportOptions& options) {
  if (options.name.empty()) return Error(EINVAL, "an OCI layout names no images: give the image a name");
  BERTH_ASSIGN(std::string name, normalised_name(options.name));
  BERTH_TRY(check_layout_version(dir));
  std::string index_path = path_join(dir, "index.json");
  BERTH_ASSIGN(std::string index_json, read_file(index_path));
  BERTH_ASSIGN(Index layout_index, parse_index(index_json).context(index_path));
  BERTH_ASSIGN(Descriptor entry, choose_entry(layout_index, options));

  BERTH_ASSIGN(StoreLock lock, store.lock(/*exclusive=*/false));
  ImportTransaction tx(store, std::move(lock));
  BERTH_ASSIGN(ImageRecord record, ingest_image(tx, store, entry, layout_opener(dir), options.platform, name));
  BERTH_TRY(save_image_record(store, record));
  tx.commit();
  return record;
}

}  // namespace

Result<ImageRecord> import_oci_layout(ContentStore& store, const std::string& dir, const ImportOptions& options) {
  return import_layout(store, dir, options).context("import OCI layout " + dir);
}

}  // namespace berth::images
