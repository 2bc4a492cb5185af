#include <cerrno>
#include <map>
#include <set>

#include "common/json.h"
#include "images/export/blob_readers.h"
#include "images/export/image_export.h"
#include "images/export/layout_sink.h"
#include "images/export/staged_output.h"
#include "images/reference/reference.h"

namespace berth::images {
namespace {

// One manifest.json entry: an image (a config) and every name it is exported under.
struct ArchiveEntry {
  const ImageRecord* image = nullptr;
  // Fully qualified ("docker.io/library/busybox:latest"), as skopeo writes them: docker
  // loads them the same as its own short "busybox:latest", and podman would read a short
  // "berth/app:1" as "localhost/berth/app:1".
  std::vector<std::string> repo_tags;
};

// docker load reads manifest.json; the legacy `repositories` file maps each name and tag to
// the image's top layer. Names without a tag (pinned by digest only) go in neither.
Result<std::vector<ArchiveEntry>> archive_entries(const std::vector<ImageRecord>& images) {
  std::vector<ArchiveEntry> entries;
  std::map<Digest, size_t> by_config;
  for (const ImageRecord& image : images) {
    BERTH_ASSIGN(Reference ref, Reference::parse(image.name));
    auto [it, fresh] = by_config.emplace(image.config_digest, entries.size());
    if (fresh) entries.push_back(ArchiveEntry{.image = &image});
    if (!ref.tag.empty()) entries[it->second].repo_tags.push_back(ref.name() + ":" + ref.tag);
  }
  return entries;
}

std::string config_member(const ImageRecord& image) { return image.config_digest.hex() + ".json"; }
std::string layer_member(const LayerRecord& layer) { return layer.diff_id.hex() + ".tar"; }

std::string manifest_json(const std::vector<ArchiveEntry>& entries) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const ArchiveEntry& e : entries) {
    w.StartObject();
    json_key(w, "Config");
    json_string(w, config_member(*e.image));
    json_key(w, "RepoTags");
    w.StartArray();
    for (const std::string& tag : e.repo_tags) json_string(w, tag);
    w.EndArray();
    json_key(w, "Layers");
    w.StartArray();
    for (const LayerRecord& layer : e.image->layers) json_string(w, layer_member(layer));
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return {buf.GetString(), buf.GetSize()};
}

Result<std::string> repositories_json(const std::vector<ArchiveEntry>& entries) {
  std::map<std::string, std::map<std::string, std::string>> repos;  // name -> tag -> top layer
  for (const ArchiveEntry& e : entries) {
    if (e.image->layers.empty()) continue;
    for (const std::string& repo_tag : e.repo_tags) {
      size_t colon = repo_tag.rfind(':');
      repos[repo_tag.substr(0, colon)][repo_tag.substr(colon + 1)] = e.image->layers.back().chain_id.hex();
    }
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  for (const auto& [name, tags] : repos) {
    json_key(w, name);
    w.StartObject();
    for (const auto& [tag, id] : tags) {
      json_key(w, tag);
      json_string(w, id);
    }
    w.EndObject();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Status write_image(const ContentStore& store, const ImageRecord& image, LayoutSink& sink, std::set<Digest>& written) {
  if (written.insert(image.config_digest).second) {
    BERTH_ASSIGN(uint64_t size, store.blob_size(image.config_digest));
    BERTH_ASSIGN(ByteReader config, verified_blob_reader(store, image.config_digest, size));
    BERTH_TRY(sink.add_file(config_member(image), config));
  }
  for (const LayerRecord& layer : image.layers) {
    if (!written.insert(layer.diff_id).second) continue;
    BERTH_ASSIGN(ByteReader tar, uncompressed_layer_reader(store, layer));
    BERTH_TRY(sink.add_file(layer_member(layer), tar));
  }
  return ok();
}

Status export_archive(const ContentStore& store, const std::vector<ImageRecord>& images, const std::string& target) {
  if (images.empty()) return Error(EINVAL, "no images to export");
  BERTH_ASSIGN(auto entries, archive_entries(images));
  BERTH_ASSIGN(StoreLock lock, store.lock(/*exclusive=*/false));
  BERTH_ASSIGN(StagedOutput out, StagedOutput::file(target));
  TarSink sink(out.fd(), out.path());
  std::set<Digest> written;
  for (const ArchiveEntry& e : entries) BERTH_TRY(write_image(store, *e.image, sink, written).context(e.image->name));
  BERTH_TRY(sink.add_file("manifest.json", string_reader(manifest_json(entries))));
  BERTH_ASSIGN(std::string repositories, repositories_json(entries));
  BERTH_TRY(sink.add_file("repositories", string_reader(repositories)));
  BERTH_TRY(sink.finish());
  return out.commit();
}

}  // namespace

Status export_docker_archive(const ContentStore& store, const std::vector<ImageRecord>& images,
                             const std::string& target) {
  return export_archive(store, images, target).context("export docker-archive " + target);
}

}  // namespace berth::images
