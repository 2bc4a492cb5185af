#include "images/appc/aci_store.h"

#include <fcntl.h>

#include <cerrno>
#include <memory>

#include "common/file.h"
#include "common/log.h"
#include "images/import/image_import.h"
#include "images/unpack/layer_stream.h"

namespace berth::images::appc {
namespace {

// The decompressed tar of an ACI file, as the content store's ingest reads it.
struct DecompressedAci {
  DecompressedAci(int fd, uint64_t max) : file(fd), stream(file, max) {}
  FdSource file;
  LayerStream stream;
};

ByteReader decompressed_reader(int fd, uint64_t max) {
  auto aci = std::make_shared<DecompressedAci>(fd, max);
  return [aci](char* buf, size_t len) { return aci->stream.read(buf, len); };
}

// The snapshot layer of one ACI: shared by every image that depends on it, and distinct
// from any OCI chain ID (those hash diff_ids, never this text).
Digest aci_layer_name(const Digest& id) { return Digest::of("appc aci layer " + image_id(id)); }

ImageRecord record_for(const AciContents& aci, const ImageManifest& manifest, const Digest& manifest_digest) {
  auto label = [&](const char* name) {
    auto it = manifest.labels.find(name);
    return it == manifest.labels.end() ? std::string() : it->second;
  };
  ImageRecord record{.name = image_id(aci.id),
                     .manifest_media_type = std::string(kAciManifestMediaType),
                     .config_digest = manifest_digest,
                     .os = label("os"),
                     .architecture = label("arch")};
  record.layers.push_back(LayerRecord{.digest = aci.id,
                                      .media_type = std::string(kAciMediaType),
                                      .size = aci.tar_bytes,
                                      .diff_id = aci.diff_id,
                                      .chain_id = aci_layer_name(aci.id)});
  return record;
}

void log_warnings(const std::string& what, const AciContents& aci, const ImageManifest& manifest) {
  for (const std::string& w : manifest.warnings) {
    std::string line = what;
    log::warn(line.append(": ").append(w));
  }
  if (aci.ignored_entries != 0) {
    log::warn(what + ": " + std::to_string(aci.ignored_entries) +
              " entries outside manifest and rootfs/ are not part of the image and are ignored");
  }
}

Status check_expected(const AciContents& aci, const ImageManifest& manifest, const AciImportOptions& options) {
  if (!options.expected_id.empty() && !image_id_matches(options.expected_id, aci.id)) {
    return Error(EBADMSG, "image ID is " + image_id(aci.id) + ", expected sha512-" + options.expected_id);
  }
  if (!options.expected_name.empty() && manifest.name != options.expected_name) {
    return Error(EINVAL, "the image is named \"" + manifest.name + "\", expected \"" + options.expected_name + "\"");
  }
  if (!labels_match(options.expected_labels, manifest.labels)) {
    return Error(EINVAL, "the image's labels do not match the ones asked for");
  }
  return ok();
}

Result<AciImage> store_aci(ContentStore& store, int fd, const AciContents& aci, ImageManifest manifest,
                           const AciImportOptions& options) {
  BERTH_ASSIGN(StoreLock lock, store.lock(/*exclusive=*/false));
  ImportTransaction tx(store, std::move(lock));
  Descriptor blob{.media_type = std::string(kAciMediaType), .digest = aci.id, .size = aci.tar_bytes};
  BERTH_TRY(tx.ingest(blob, [&](const Descriptor&) -> Result<ByteReader> {
    if (::lseek(fd, 0, SEEK_SET) != 0) return Error::from_errno("seek to the start");
    return decompressed_reader(fd, options.max_tar_bytes);
  }));
  BERTH_ASSIGN(Digest manifest_digest, tx.put(aci.manifest));
  ImageRecord record = record_for(aci, manifest, manifest_digest);
  BERTH_TRY(save_image_record(store, record));
  tx.commit();
  return AciImage{.id = aci.id, .manifest = std::move(manifest), .record = std::move(record)};
}

// The greater of two version labels: numeric runs compare as numbers ("1.10" > "1.9").
bool version_less(const std::string& a, const std::string& b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) != 0 && std::isdigit(static_cast<unsigned char>(b[j])) != 0) {
      size_t ie = a.find_first_not_of("0123456789", i);
      size_t je = b.find_first_not_of("0123456789", j);
      std::string na = a.substr(i, ie == std::string::npos ? std::string::npos : ie - i);
      std::string nb = b.substr(j, je == std::string::npos ? std::string::npos : je - j);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i += na.size();
      j += nb.size();
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

std::string version_of(const AciImage& image) {
  auto it = image.manifest.labels.find("version");
  return it == image.manifest.labels.end() ? std::string() : it->second;
}

}  // namespace

Result<AciImage> import_aci(ContentStore& store, int fd, const std::string& what, const AciImportOptions& options) {
  AciLimits limits{.max_tar_bytes = options.max_tar_bytes};
  BERTH_ASSIGN(AciContents aci, inspect_aci(fd, limits).context("import " + what));
  BERTH_ASSIGN(ImageManifest manifest, parse_image_manifest(aci.manifest).context("import " + what));
  BERTH_TRY(check_expected(aci, manifest, options).context("import " + what));
  log_warnings("import " + what, aci, manifest);
  return store_aci(store, fd, aci, std::move(manifest), options).context("import " + what);
}

Result<AciImage> import_aci_file(ContentStore& store, const std::string& path, const AciImportOptions& options) {
  BERTH_ASSIGN(UniqueFd fd, open_path(path, O_RDONLY));
  return import_aci(store, fd.get(), path, options);
}

bool is_aci_record(const ImageRecord& record) { return record.manifest_media_type == kAciManifestMediaType; }

Result<AciImage> load_aci(const ContentStore& store, const ImageRecord& record) {
  if (!is_aci_record(record) || record.layers.size() != 1) {
    return Error(EINVAL, "image \"" + record.name + "\" is not an ACI");
  }
  BERTH_ASSIGN(std::string json, store.read_blob(record.config_digest, kMaxManifestBytes));
  BERTH_ASSIGN(ImageManifest manifest, parse_image_manifest(json).context("image " + record.name));
  return AciImage{.id = record.layers[0].digest, .manifest = std::move(manifest), .record = record};
}

Result<std::vector<AciImage>> list_acis(const ContentStore& store) {
  BERTH_ASSIGN(auto records, list_image_records(store));
  std::vector<AciImage> out;
  for (const ImageRecord& record : records) {
    if (!is_aci_record(record)) continue;
    BERTH_ASSIGN(AciImage image, load_aci(store, record));
    out.push_back(std::move(image));
  }
  return out;
}

Result<AciImage> find_aci_by_id(const ContentStore& store, std::string_view id_text) {
  BERTH_ASSIGN(std::string hex, parse_image_id(id_text));
  BERTH_ASSIGN(auto all, list_acis(store));
  std::optional<AciImage> found;
  for (AciImage& image : all) {
    if (!image_id_matches(hex, image.id)) continue;
    if (found) return Error(EINVAL, "image ID " + std::string(id_text) + " is ambiguous: give more digits");
    found = std::move(image);
  }
  if (!found) return Error(ENOENT, "no ACI with image ID " + std::string(id_text) + " in the store");
  return std::move(*found);
}

Result<std::optional<AciImage>> find_aci(const ContentStore& store, std::string_view name, const Labels& labels) {
  BERTH_ASSIGN(auto all, list_acis(store));
  std::optional<AciImage> best;
  for (AciImage& image : all) {
    if (image.manifest.name != name || !labels_match(labels, image.manifest.labels)) continue;
    if (!best || version_less(version_of(*best), version_of(image))) best = std::move(image);
  }
  return best;
}

}  // namespace berth::images::appc
