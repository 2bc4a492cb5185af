#include "images/import/oci_layout.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "common/file.h"
#include "common/json.h"
#include "images/import/tar_index.h"
#include "images/oci/manifest.h"

namespace berth::images {
namespace {

constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

// Where a layout's files come from: a directory, or the members of a tar of one (what
// `skopeo copy ... oci-archive:` and `buildah push oci-archive:` write).
struct LayoutSource {
  std::function<Result<std::string>(const std::string& name)> read_text;
  BlobOpener open_blob;
};

std::string blob_name(const Descriptor& d) {
  return "blobs/" + std::string(algorithm_name(d.digest.algorithm())) + "/" + d.digest.hex();
}

Status check_layout_version(const LayoutSource& source) {
  std::string path = "oci-layout";
  BERTH_ASSIGN(std::string text, source.read_text(path));
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(text, path));
  JsonNode root(doc);
  BERTH_ASSIGN(std::string v, root.required_string("imageLayoutVersion"));
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

LayoutSource directory_source(const std::string& dir) {
  return {.read_text = [dir](const std::string& name) { return read_file(path_join(dir, name)); },
          .open_blob = [dir](const Descriptor& d) -> Result<ByteReader> {
            BERTH_ASSIGN(UniqueFd fd, open_path(path_join(dir, blob_name(d)), O_RDONLY | O_NOFOLLOW));
            auto shared = std::make_shared<UniqueFd>(std::move(fd));
            ByteReader inner = fd_reader(shared->get());
            return ByteReader([shared, inner](char* buf, size_t len) { return inner(buf, len); });
          }};
}

// `fd` and `tar` must outlive the source (import_layout keeps both on its stack).
LayoutSource tar_source(int fd, const TarIndex& tar) {
  return {.read_text = [fd, &tar](const std::string& name) -> Result<std::string> {
            BERTH_ASSIGN(TarMember member, tar.file(name));
            if (member.size > kMaxMetadataBlobSize) return Error(EFBIG, name + " is too large");
            return read_member(fd, member);
          },
          .open_blob = [fd, &tar](const Descriptor& d) -> Result<ByteReader> {
            BERTH_ASSIGN(TarMember member, tar.file(blob_name(d)));
            return fd_range_reader(fd, member.offset, member.size);
          }};
}

Result<ImageRecord> import_from(ContentStore& store, const LayoutSource& source, const ImportOptions& options) {
  if (options.name.empty()) return Error(EINVAL, "an OCI layout names no images: give the image a name");
  BERTH_ASSIGN(std::string name, normalised_name(options.name));
  BERTH_TRY(check_layout_version(source));
  BERTH_ASSIGN(std::string index_json, source.read_text("index.json"));
  BERTH_ASSIGN(Index layout_index, parse_index(index_json).context("index.json"));
  BERTH_ASSIGN(Descriptor entry, choose_entry(layout_index, options));

  BERTH_ASSIGN(StoreLock lock, store.lock(/*exclusive=*/false));
  ImportTransaction tx(store, std::move(lock));
  BERTH_ASSIGN(ImageRecord record, ingest_image(tx, store, entry, source.open_blob, options.platform, name));
  BERTH_TRY(save_image_record(store, record));
  tx.commit();
  return record;
}

Result<ImageRecord> import_layout(ContentStore& store, const std::string& path, const ImportOptions& options) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::from_errno("stat " + path);
  if (S_ISDIR(st.st_mode)) return import_from(store, directory_source(path), options);
  if (!S_ISREG(st.st_mode)) return Error(EINVAL, "neither a layout directory nor a tar of one");
  BERTH_ASSIGN(UniqueFd fd, open_path(path, O_RDONLY));
  BERTH_ASSIGN(TarIndex tar, TarIndex::read(fd.get(), path));
  return import_from(store, tar_source(fd.get(), tar), options);
}

}  // namespace

Result<ImageRecord> import_oci_layout(ContentStore& store, const std::string& path, const ImportOptions& options) {
  return import_layout(store, path, options).context("import OCI layout " + path);
}

}  // namespace berth::images
