#include "images/oci/manifest.h"

#include <cerrno>

#include "common/json.h"

namespace berth::images {
namespace {

Status check_schema_version(const JsonNode& root) {
  BERTH_ASSIGN(JsonNode version, root.required("schemaVersion"));
  BERTH_ASSIGN(int64_t v, version.as_int64());
  if (v != 2) return version.error("must be 2, got " + std::to_string(v));
  return ok();
}

// The document's media type: its own mediaType when present (checked with `accept` and
// against the descriptor's), else the descriptor's, else `fallback`.
Result<std::string> document_media_type(const JsonNode& root, std::string_view descriptor_media_type,
                                        bool (*accept)(std::string_view), std::string_view what,
                                        std::string_view fallback) {
  std::string type;
  if (auto field = root.field("mediaType")) {
    BERTH_ASSIGN(type, field->as_string());
    if (!accept(type)) return field->error("\"" + type + "\" is not " + std::string(what));
    if (!descriptor_media_type.empty() && descriptor_media_type != type) {
      return field->error("\"" + type + "\" does not match the descriptor's \"" + std::string(descriptor_media_type) +
                          "\"");
    }
    return type;
  }
  if (!descriptor_media_type.empty()) {
    if (!accept(descriptor_media_type)) {
      return Error(EINVAL,
                   "descriptor media type \"" + std::string(descriptor_media_type) + "\" is not " + std::string(what));
    }
    return std::string(descriptor_media_type);
  }
  return std::string(fallback);
}

Result<std::map<std::string, std::string>> annotations_of(const JsonNode& root) {
  auto field = root.field("annotations");
  if (!field) return std::map<std::string, std::string>{};
  return parse_string_map(*field);
}

Result<Manifest> parse_manifest_node(const JsonNode& root, std::string_view descriptor_media_type) {
  if (!root.is_object()) return root.error("must be an object");
  BERTH_TRY(check_schema_version(root));
  Manifest m;
  BERTH_ASSIGN(m.media_type, document_media_type(root, descriptor_media_type, is_manifest_media_type,
                                                 "an image manifest", media_type::kOciManifest));
  BERTH_ASSIGN(JsonNode config, root.required("config"));
  BERTH_ASSIGN(m.config, parse_descriptor(config));
  if (!is_config_media_type(m.config.media_type)) {
    return Error(EINVAL, config.path() + ".mediaType: \"" + m.config.media_type + "\" is not an image config");
  }
  BERTH_ASSIGN(JsonNode layers, root.required("layers"));
  BERTH_ASSIGN(auto layer_nodes, layers.as_array());
  for (const JsonNode& node : layer_nodes) {
    BERTH_ASSIGN(Descriptor layer, parse_descriptor(node));
    if (!is_layer_media_type(layer.media_type)) {
      return Error(EINVAL, node.path() + ".mediaType: \"" + layer.media_type + "\" is not a layer media type");
    }
    m.layers.push_back(std::move(layer));
  }
  BERTH_ASSIGN(m.annotations, annotations_of(root));
  return m;
}

Result<Index> parse_index_node(const JsonNode& root, std::string_view descriptor_media_type) {
  if (!root.is_object()) return root.error("must be an object");
  BERTH_TRY(check_schema_version(root));
  Index index;
  BERTH_ASSIGN(index.media_type, document_media_type(root, descriptor_media_type, is_index_media_type, "an image index",
                                                     media_type::kOciIndex));
  BERTH_ASSIGN(JsonNode manifests, root.required("manifests"));
  BERTH_ASSIGN(auto nodes, manifests.as_array());
  bool docker = index.media_type == media_type::kDockerManifestList;
  for (const JsonNode& node : nodes) {
    BERTH_ASSIGN(Descriptor d, parse_descriptor(node));
    if (docker && !d.platform) return Error(EINVAL, node.path() + ".platform: is required in a manifest list");
    index.manifests.push_back(std::move(d));
  }
  BERTH_ASSIGN(index.annotations, annotations_of(root));
  return index;
}

}  // namespace

Result<ManifestKind> detect_manifest_kind(std::string_view json, std::string_view descriptor_media_type) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "manifest"));
  JsonNode root(doc);
  if (!root.is_object()) return root.error("must be an object");
  std::string type(descriptor_media_type);
  if (auto field = root.field("mediaType")) {
    BERTH_ASSIGN(type, field->as_string());
  }
  if (is_index_media_type(type)) return ManifestKind::kIndex;
  if (is_manifest_media_type(type)) return ManifestKind::kManifest;
  if (!type.empty()) return Error(EINVAL, "mediaType: \"" + type + "\" is neither an image manifest nor an index");
  if (root.field("manifests")) return ManifestKind::kIndex;
  if (root.field("config")) return ManifestKind::kManifest;
  return Error(EINVAL, "(root): neither an image manifest (no config) nor an index (no manifests)");
}

Result<Manifest> parse_manifest(std::string_view json, std::string_view descriptor_media_type) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "manifest"));
  return parse_manifest_node(JsonNode(doc), descriptor_media_type).context("manifest");
}

Result<Index> parse_index(std::string_view json, std::string_view descriptor_media_type) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "index"));
  return parse_index_node(JsonNode(doc), descriptor_media_type).context("index");
}

namespace {

// A manifest and an index share their shape: schemaVersion, mediaType, the manifest's config,
// a list of descriptors ("layers" or "manifests"), then annotations.
std::string document_to_json(const std::string& media_type, const Descriptor* config, std::string_view list_key,
                             const std::vector<Descriptor>& list,
                             const std::map<std::string, std::string>& annotations) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  json_key(w, "schemaVersion");
  w.Int(2);
  json_key(w, "mediaType");
  json_string(w, media_type);
  if (config != nullptr) {
    json_key(w, "config");
    write_descriptor(w, *config);
  }
  json_key(w, list_key);
  w.StartArray();
  for (const Descriptor& d : list) write_descriptor(w, d);
  w.EndArray();
  write_annotations(w, annotations);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace

std::string manifest_to_json(const Manifest& manifest) {
  return document_to_json(manifest.media_type, &manifest.config, "layers", manifest.layers, manifest.annotations);
}

std::string index_to_json(const Index& index) {
  return document_to_json(index.media_type, nullptr, "manifests", index.manifests, index.annotations);
}

}  // namespace berth::images
