#include <cerrno>
#include <memory>
#include <set>

#include "images/export/blob_readers.h"
#include "images/export/image_export.h"
#include "images/export/layout_sink.h"
#include "images/export/staged_output.h"
#include "images/oci/manifest.h"
#include "images/reference/reference.h"

namespace berth::images {
namespace {

constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
constexpr std::string_view kLayoutVersion = R"({"imageLayoutVersion":"1.0.0"})";

// The index.json entry for one image: its manifest, platform and ref name (its tag).
Result<Descriptor> index_entry(const ContentStore& store, const ImageRecord& image) {
  BERTH_ASSIGN(Reference ref, Reference::parse(image.name));
  BERTH_ASSIGN(uint64_t size, store.blob_size(image.manifest_digest));
  Descriptor d{.media_type = image.manifest_media_type, .digest = image.manifest_digest, .size = size};
  if (!image.os.empty()) {
    d.platform = Platform{.os = image.os, .architecture = image.architecture, .variant = image.variant};
  }
  if (!ref.tag.empty()) d.annotations[std::string(kRefNameAnnotation)] = ref.tag;
  return d;
}

Status check_ref_names_unique(const std::vector<Descriptor>& entries, const std::vector<ImageRecord>& images) {
  std::map<std::string, std::string> seen;  // ref name -> image
  for (size_t i = 0; i < entries.size(); ++i) {
    auto it = entries[i].annotations.find(std::string(kRefNameAnnotation));
    if (it == entries[i].annotations.end()) continue;
    auto [prev, fresh] = seen.emplace(it->second, images[i].name);
    if (!fresh && prev->second != images[i].name) {
      return Error(EINVAL, "images " + prev->second + " and " + images[i].name + " share the tag \"" + it->second +
                               "\", the ref name of an OCI layout: export them separately");
    }
  }
  return ok();
}

class BlobCopier {
 public:
  BlobCopier(const ContentStore& store, LayoutSink& sink) : store_(store), sink_(sink) {}

  Status copy(const Digest& digest, uint64_t size) {
    if (!copied_.insert(digest).second) return ok();
    std::string dir = "blobs/" + std::string(algorithm_name(digest.algorithm()));
    if (directories_.insert(dir).second) BERTH_TRY(sink_.add_directory(dir));
    BERTH_ASSIGN(ByteReader reader, verified_blob_reader(store_, digest, size));
    BERTH_TRY(sink_.add_file(dir + "/" + digest.hex(), reader));
    return ok();
  }

  Status copy_image(const ImageRecord& image, const Descriptor& manifest) {
    BERTH_TRY(copy(manifest.digest, manifest.size));
    BERTH_ASSIGN(uint64_t config_size, store_.blob_size(image.config_digest));
    BERTH_TRY(copy(image.config_digest, config_size));
    for (const LayerRecord& layer : image.layers) BERTH_TRY(copy(layer.digest, layer.size));
    return ok();
  }

 private:
  const ContentStore& store_;
  LayoutSink& sink_;
  std::set<Digest> copied_;
  std::set<std::string> directories_;
};

Status write_layout(const ContentStore& store, const std::vector<ImageRecord>& images, LayoutSink& sink) {
  Index index{.media_type = std::string(media_type::kOciIndex)};
  for (const ImageRecord& image : images) {
    BERTH_ASSIGN(Descriptor entry, index_entry(store, image).context(image.name));
    index.manifests.push_back(std::move(entry));
  }
  BERTH_TRY(check_ref_names_unique(index.manifests, images));
  BERTH_TRY(sink.add_file("oci-layout", string_reader(kLayoutVersion)));
  BERTH_TRY(sink.add_directory("blobs"));
  BlobCopier copier(store, sink);
  for (size_t i = 0; i < images.size(); ++i) {
    BERTH_TRY(copier.copy_image(images[i], index.manifests[i]).context(images[i].name));
  }
  std::string index_json = index_to_json(index);
  BERTH_TRY(sink.add_file("index.json", string_reader(index_json)));
  return sink.finish();
}

Status export_layout(const ContentStore& store, const std::vector<ImageRecord>& images, const std::string& target,
                     OciLayoutForm form) {
  if (images.empty()) return Error(EINVAL, "no images to export");
  BERTH_ASSIGN(StoreLock lock, store.lock(/*exclusive=*/false));
  bool as_directory = form == OciLayoutForm::kDirectory;
  BERTH_ASSIGN(StagedOutput out, as_directory ? StagedOutput::directory(target) : StagedOutput::file(target));
  std::unique_ptr<LayoutSink> sink;
  if (as_directory) {
    sink = std::make_unique<DirectorySink>(out.path());
  } else {
    sink = std::make_unique<TarSink>(out.fd(), out.path());
  }
  BERTH_TRY(write_layout(store, images, *sink));
  return out.commit();
}

}  // namespace

Status export_oci_layout(const ContentStore& store, const std::vector<ImageRecord>& images, const std::string& target,
                         OciLayoutForm form) {
  return export_layout(store, images, target, form).context("export OCI layout " + target);
}

}  // namespace berth::images
