#include "images/oci/descriptor.h"

#include <cerrno>
#include <initializer_list>

namespace berth::images {
namespace {

bool one_of(std::string_view type, std::initializer_list<std::string_view> types) {
  for (std::string_view t : types) {
    if (t == type) return true;
  }
  return false;
}

}  // namespace

bool is_index_media_type(std::string_view type) {
  return one_of(type, {media_type::kOciIndex, media_type::kDockerManifestList});
}
bool is_manifest_media_type(std::string_view type) {
  return one_of(type, {media_type::kOciManifest, media_type::kDockerManifest});
}
bool is_config_media_type(std::string_view type) {
  return one_of(type, {media_type::kOciConfig, media_type::kDockerConfig});
}
bool is_layer_media_type(std::string_view type) { return layer_compression(type).ok(); }

Result<LayerCompression> layer_compression(std::string_view type) {
  using namespace media_type;  // NOLINT(google-build-using-namespace): the table reads better
  if (one_of(type, {kOciLayer, kOciLayerNondistributable, kDockerLayer})) return LayerCompression::kNone;
  if (one_of(type, {kOciLayerGzip, kOciLayerNondistributableGzip, kDockerLayerGzip, kDockerLayerForeignGzip})) {
    return LayerCompression::kGzip;
  }
  if (one_of(type, {kOciLayerZstd, kOciLayerNondistributableZstd})) return LayerCompression::kZstd;
  return Error(ENOTSUP, "media type \"" + std::string(type) + "\" is not a layer berth can unpack");
}

std::string_view oci_layer_media_type(LayerCompression compression) {
  switch (compression) {
    case LayerCompression::kGzip: return media_type::kOciLayerGzip;
    case LayerCompression::kZstd: return media_type::kOciLayerZstd;
    case LayerCompression::kNone: break;
  }
  return media_type::kOciLayer;
}

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Result<std::map<std::string, std::string>> parse_string_map(const JsonNode& node) {
  BERTH_ASSIGN(auto members, node.as_object());
  std::map<std::string, std::string> out;
  for (auto& [key, value] : members) {
    BERTH_ASSIGN(std::string s, value.as_string());
    out[key] = std::move(s);
  }
  return out;
}

Result<Platform> parse_platform(const JsonNode& node) {
  Platform p;
  BERTH_ASSIGN(p.os, node.required_string("os"));
  BERTH_ASSIGN(p.architecture, node.required_string("architecture"));
  BERTH_ASSIGN(p.variant, node.optional_string("variant"));
  BERTH_ASSIGN(p.os_version, node.optional_string("os.version"));
  if (auto features = node.field("os.features")) {
    BERTH_ASSIGN(p.os_features, features->as_string_array());
  }
  return p;
}

Result<Descriptor> parse_descriptor(const JsonNode& node) {
  Descriptor d;
  BERTH_ASSIGN(d.media_type, node.required_string("mediaType"));
  BERTH_ASSIGN(JsonNode digest, node.required("digest"));
  BERTH_ASSIGN(std::string digest_text, digest.as_string());
  auto parsed = Digest::parse(digest_text);
  if (!parsed) return digest.error(parsed.error().message());
  d.digest = std::move(parsed).value();
  BERTH_ASSIGN(JsonNode size, node.required("size"));
  BERTH_ASSIGN(d.size, size.as_uint64());
  if (auto urls = node.field("urls")) {
    BERTH_ASSIGN(d.urls, urls->as_string_array());
  }
  if (auto annotations = node.field("annotations")) {
    BERTH_ASSIGN(d.annotations, parse_string_map(*annotations));
  }
  if (auto platform = node.field("platform")) {
    BERTH_ASSIGN(d.platform, parse_platform(*platform));
  }
  return d;
}

void write_annotations(JsonWriter& w, const std::map<std::string, std::string>& annotations) {
  if (annotations.empty()) return;
  json_key(w, "annotations");
  w.StartObject();
  for (const auto& [k, v] : annotations) {
    json_key(w, k);
    json_string(w, v);
  }
  w.EndObject();
}

namespace {

void write_string_array(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
  json_key(w, key);
  w.StartArray();
  for (const std::string& v : values) json_string(w, v);
  w.EndArray();
}

// Every field parse_platform reads, so that a written document reads back the same.
void write_platform(JsonWriter& w, const Platform& p) {
  json_key(w, "platform");
  w.StartObject();
  json_key(w, "architecture");
  json_string(w, p.architecture);
  json_key(w, "os");
  json_string(w, p.os);
  if (!p.variant.empty()) {
    json_key(w, "variant");
    json_string(w, p.variant);
  }
  if (!p.os_version.empty()) {
    json_key(w, "os.version");
    json_string(w, p.os_version);
  }
  if (!p.os_features.empty()) write_string_array(w, "os.features", p.os_features);
  w.EndObject();
}

}  // namespace

void write_descriptor(JsonWriter& w, const Descriptor& d) {
  w.StartObject();
  json_key(w, "mediaType");
  json_string(w, d.media_type);
  json_key(w, "digest");
  json_string(w, d.digest.str());
  json_key(w, "size");
  w.Uint64(d.size);
  if (!d.urls.empty()) write_string_array(w, "urls", d.urls);
  write_annotations(w, d.annotations);
  if (d.platform) write_platform(w, *d.platform);
  w.EndObject();
}

}  // namespace berth::images
