#include "images/import/docker_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "common/file.h"
#include "common/json.h"
#include "common/strings.h"
#include "images/import/tar_index.h"
#include "images/oci/image_config.h"
#include "images/oci/manifest.h"
#include "images/unpack/layer_stream.h"

namespace berth::images {
namespace {

struct ArchiveImage {
  std::string config;
  std::vector<std::string> repo_tags;
  std::vector<std::string> layers;
};

Result<std::vector<ArchiveImage>> parse_archive_manifest(std::string_view json) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "manifest.json"));
  BERTH_ASSIGN(auto entries, JsonNode(doc).as_array());
  std::vector<ArchiveImage> out;
  for (const JsonNode& entry : entries) {
    ArchiveImage image;
    BERTH_ASSIGN(image.config, entry.required_string("Config"));
    if (auto tags = entry.field("RepoTags")) {
      BERTH_ASSIGN(image.repo_tags, tags->as_string_array());
    }
    BERTH_ASSIGN(JsonNode layers, entry.required("Layers"));
    BERTH_ASSIGN(image.layers, layers.as_string_array());
    out.push_back(std::move(image));
  }
  if (out.empty()) return Error(EINVAL, "manifest.json: lists no images");
  return out;
}

// The digest a member's name promises: "<hex>.json", "<hex>.tar", "blobs/sha256/<hex>".
std::optional<Digest> digest_in_name(std::string_view name) {
  if (starts_with(name, "blobs/sha256/")) {
    auto d = Digest::parse("sha256:" + std::string(name.substr(13)));
    if (d) return *d;
    return std::nullopt;
  }
  std::string base = basename_of(name);
  size_t dot = base.find('.');
  auto d = Digest::parse("sha256:" + base.substr(0, dot));
  if (d) return *d;
  return std::nullopt;
}

Result<std::string> layer_media_type(int fd, const TarMember& member) {
  std::array<char, 4> magic{};
  ssize_t n = ::pread(fd, magic.data(), magic.size(), static_cast<off_t>(member.offset));
  if (n < 0) return Error::from_errno("read " + member.name);
  return std::string(
      oci_layer_media_type(compression_from_magic(std::string_view(magic.data(), static_cast<size_t>(n)))));
}

Result<Digest> hash_member(int fd, const TarMember& member) {
  ByteReader reader = fd_range_reader(fd, member.offset, member.size);
  Hasher hasher;
  std::vector<char> buf(size_t{128} * 1024);
  for (;;) {
    BERTH_ASSIGN(size_t n, reader(buf.data(), buf.size()));
    if (n == 0) return hasher.digest();
    hasher.update(std::string_view(buf.data(), n));
  }
}

class ArchiveImporter {
 public:
  ArchiveImporter(ContentStore& store, int fd, const TarIndex& tar) : store_(store), fd_(fd), tar_(tar) {}

  // Ingests one image's config and layers, writes its OCI manifest and returns it.
  Result<Descriptor> ingest(ImportTransaction& tx, const ArchiveImage& image) {
    BERTH_ASSIGN(TarMember config_member, tar_.file(image.config));
    BERTH_ASSIGN(Digest config_digest, member_digest(config_member, std::nullopt));
    Manifest manifest{.media_type = std::string(media_type::kOciManifest)};
    manifest.config = Descriptor{
        .media_type = std::string(media_type::kOciConfig), .digest = config_digest, .size = config_member.size};
    BERTH_TRY(tx.ingest(manifest.config, opener(config_member)).context(image.config));
    BERTH_ASSIGN(std::string config_json, store_.read_blob(config_digest));
    BERTH_ASSIGN(ImageConfig config, parse_image_config(config_json).context(image.config));
    if (config.diff_ids.size() != image.layers.size()) {
      return Error(EINVAL, image.config + " lists " + std::to_string(config.diff_ids.size()) + " diff_ids for the " +
                               std::to_string(image.layers.size()) + " Layers of manifest.json");
    }
    for (size_t i = 0; i < image.layers.size(); ++i) {
      BERTH_ASSIGN(Descriptor layer, ingest_layer(tx, image.layers[i], config.diff_ids[i]));
      manifest.layers.push_back(std::move(layer));
    }
    std::string manifest_json = manifest_to_json(manifest);
    BERTH_ASSIGN(Digest manifest_digest, tx.put(manifest_json));
    return Descriptor{.media_type = manifest.media_type, .digest = manifest_digest, .size = manifest_json.size()};
  }

 private:
  Result<Descriptor> ingest_layer(ImportTransaction& tx, const std::string& name, const Digest& diff_id) {
    BERTH_ASSIGN(TarMember member, tar_.file(name));
    BERTH_ASSIGN(std::string type, layer_media_type(fd_, member));
    // An uncompressed layer is its own diff: its digest must be the config's diff_id.
    std::optional<Digest> expected;
    if (type == media_type::kOciLayer) expected = diff_id;
    BERTH_ASSIGN(Digest digest, member_digest(member, expected));
    Descriptor d{.media_type = type, .digest = digest, .size = member.size};
    BERTH_TRY(tx.ingest(d, opener(member)).context("layer " + name));
    return d;
  }

  // What the member must hash to: `expected` and its name's promise must agree; with
  // neither, one hashing pass tells (ingest then checks the copy it makes against it).
  Result<Digest> member_digest(const TarMember& member, const std::optional<Digest>& expected) {
    std::optional<Digest> named = digest_in_name(member.name);
    if (expected && named && *expected != *named) {
      return Error(EINVAL, member.name + ": its name says " + named->str() + " but the image config's diff_id is " +
                               expected->str());
    }
    if (expected) return *expected;
    if (named) return *named;
    return hash_member(fd_, member);
  }

  BlobOpener opener(const TarMember& member) const {
    int fd = fd_;
    return [fd, member](const Descriptor&) -> Result<ByteReader> {
      return fd_range_reader(fd, member.offset, member.size);
    };
  }

  ContentStore& store_;
  int fd_;
  const TarIndex& tar_;
};

Result<std::vector<ImageRecord>> import_archive(ContentStore& store, const std::string& path,
                                                const ImportOptions& options) {
  BERTH_ASSIGN(UniqueFd fd, open_path(path, O_RDONLY));
  BERTH_ASSIGN(TarIndex tar, TarIndex::read(fd.get(), path));
  BERTH_ASSIGN(TarMember manifest_member, tar.file("manifest.json"));
  if (manifest_member.size > kMaxMetadataBlobSize) return Error(EFBIG, "manifest.json is too large");
  BERTH_ASSIGN(std::string manifest_text, read_member(fd.get(), manifest_member));
  BERTH_ASSIGN(auto images, parse_archive_manifest(manifest_text));
  if (!options.name.empty() && images.size() != 1) {
    return Error(EINVAL, "the archive holds " + std::to_string(images.size()) + " images: one name cannot cover them");
  }

  BERTH_ASSIGN(StoreLock lock, store.lock(/*exclusive=*/false));
  ImportTransaction tx(store, std::move(lock));
  ArchiveImporter importer(store, fd.get(), tar);
  std::vector<ImageRecord> records;
  for (size_t i = 0; i < images.size(); ++i) {
    std::vector<std::string> names = options.name.empty() ? images[i].repo_tags : std::vector{options.name};
    if (names.empty()) {
      return Error(EINVAL,
                   "image " + std::to_string(i) + " (" + images[i].config + ") has no RepoTags: give it a name");
    }
    BERTH_ASSIGN(Descriptor manifest, importer.ingest(tx, images[i]).context("image " + images[i].config));
    for (const std::string& raw : names) {
      BERTH_ASSIGN(std::string name, normalised_name(raw));
      BERTH_ASSIGN(ImageRecord record, record_for_manifest(store, manifest, name));
      records.push_back(std::move(record));
    }
  }
  for (size_t i = 0; i < records.size(); ++i) {
    auto saved = save_image_record(store, records[i]);
    if (saved.ok()) continue;
    for (size_t j = 0; j < i; ++j) (void)remove_image_record(store, records[j].name);
    return std::move(saved).error();
  }
  tx.commit();
  return records;
}

}  // namespace

Result<std::vector<ImageRecord>> import_docker_archive(ContentStore& store, const std::string& path,
                                                       const ImportOptions& options) {
  return import_archive(store, path, options).context("import docker-archive " + path);
}

}  // namespace berth::images
