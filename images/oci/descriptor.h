// The OCI image model's small parts, shared by manifests and indexes: media types,
// descriptors and platforms, mapped from their JSON into berth's own structs. Parsing only:
// nothing here fetches, stores or unpacks a blob.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/result.h"
#include "images/digest/digest.h"

namespace berth::images {

namespace media_type {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view kOciLayerNondistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kOciLayerNondistributableZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayerForeignGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}  // namespace media_type

bool is_index_media_type(std::string_view type);
bool is_manifest_media_type(std::string_view type);
bool is_config_media_type(std::string_view type);
bool is_layer_media_type(std::string_view type);

// How a layer blob is compressed: what the unpacker must undo. The one mapping from layer
// media types ("...tar+gzip" -> kGzip); ENOTSUP for anything that is not a layer.
enum class LayerCompression { kNone, kGzip, kZstd };
Result<LayerCompression> layer_compression(std::string_view layer_media_type);
// The OCI layer media type for a compression: kOciLayer, kOciLayerGzip or kOciLayerZstd.
std::string_view oci_layer_media_type(LayerCompression compression);
// "none", "gzip" or "zstd". Inline: the layer stream (and its fuzz target) needs no more.
constexpr std::string_view compression_name(LayerCompression compression) {
  switch (compression) {
    case LayerCompression::kGzip: return "gzip";
    case LayerCompression::kZstd: return "zstd";
    case LayerCompression::kNone: break;
  }
  return "none";
}

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64", "arm64", "arm"
  std::string variant;       // "v7", "" when none
  std::string os_version;
  std::vector<std::string> os_features;

  // "linux/arm/v7", "linux/amd64".
  [[nodiscard]] std::string str() const;
  friend bool operator==(const Platform& a, const Platform& b) = default;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  uint64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
};

// An object of string values (annotations, labels).
Result<std::map<std::string, std::string>> parse_string_map(const JsonNode& node);
Result<Platform> parse_platform(const JsonNode& node);
Result<Descriptor> parse_descriptor(const JsonNode& node);

// Writers for documents berth makes itself (docker-archive import, tests).
void write_descriptor(JsonWriter& w, const Descriptor& d);
// "annotations": {...}, left out when there are none.
void write_annotations(JsonWriter& w, const std::map<std::string, std::string>& annotations);

}  // namespace berth::images
