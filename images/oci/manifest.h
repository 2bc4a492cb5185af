// OCI image manifests and indexes, and their Docker schema 2 twins (manifest, manifest
// list), parsed into one pair of berth structs. Media types are checked and every error
// names the JSON path of the bad value ("layers[1].mediaType: ..."). Parsing only.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "images/oci/descriptor.h"

namespace berth::images {

struct Manifest {
  std::string media_type;  // kOciManifest or kDockerManifest
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

struct Index {
  std::string media_type;  // kOciIndex or kDockerManifestList
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

enum class ManifestKind { kManifest, kIndex };

// Which kind a document is: from its own mediaType, else from the descriptor that pointed
// at it (`descriptor_media_type`, may be empty), else from its shape.
Result<ManifestKind> detect_manifest_kind(std::string_view json, std::string_view descriptor_media_type = {});

// `descriptor_media_type`, when given, is the media type of the descriptor the document
// was found through: a document whose own mediaType disagrees is refused.
Result<Manifest> parse_manifest(std::string_view json, std::string_view descriptor_media_type = {});
Result<Index> parse_index(std::string_view json, std::string_view descriptor_media_type = {});

// Canonical JSON for manifests and indexes berth writes itself.
std::string manifest_to_json(const Manifest& manifest);
std::string index_to_json(const Index& index);

}  // namespace berth::images
