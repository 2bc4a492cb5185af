// libFuzzer target: any byte string through the OCI/Docker manifest, index, image config and
// platform parsers must end in a value or an error, never a crash or a hang. A manifest or an
// index that parses must survive berth's own writer: written and parsed again, it is the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "images/oci/image_config.h"
#include "images/oci/manifest.h"
#include "images/oci/platform.h"

namespace {

using namespace berth::images;

bool same_descriptor(const Descriptor& a, const Descriptor& b) {
  return a.media_type == b.media_type && a.digest == b.digest && a.size == b.size && a.urls == b.urls &&
         a.annotations == b.annotations && a.platform == b.platform;
}

bool same_descriptors(const std::vector<Descriptor>& a, const std::vector<Descriptor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same_descriptor(a[i], b[i])) return false;
  }
  return true;
}

void check_manifest_round_trip(std::string_view json) {
  auto m = parse_manifest(json);
  if (!m) return;
  auto again = parse_manifest(manifest_to_json(*m));
  if (!again || again->media_type != m->media_type || !same_descriptor(again->config, m->config) ||
      !same_descriptors(again->layers, m->layers) || again->annotations != m->annotations) {
    std::abort();  // berth wrote a manifest it cannot read back as the same
  }
}

void check_index_round_trip(std::string_view json) {
  auto index = parse_index(json);
  if (!index) return;
  auto again = parse_index(index_to_json(*index));
  if (!again || again->media_type != index->media_type || !same_descriptors(again->manifests, index->manifests) ||
      again->annotations != index->annotations) {
    std::abort();
  }
  // Choosing a platform from any index that parses must not crash either.
  (void)select_manifest(*index, Platform{.os = "linux", .architecture = "amd64"});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  (void)detect_manifest_kind(json);
  check_manifest_round_trip(json);
  check_index_round_trip(json);
  (void)parse_image_config(json);
  if (size < 256) (void)parse_platform_spec(json);
  return 0;
}
