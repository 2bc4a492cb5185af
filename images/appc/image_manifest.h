// The AppC image manifest (appc spec, aci.md "Image Manifest Schema"): the `manifest` file
// of an ACI, parsed into berth's own structs with every rule the schema states checked, and
// turned into the engine's ContainerDefaults. Parsing only: no I/O, nothing is executed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "images/appc/ac_types.h"
#include "images/oci/image_config.h"

namespace berth::images::appc {

struct MountPoint {
  std::string name;  // AC Name
  std::string path;  // absolute, inside the rootfs
  bool read_only = false;
};

struct Port {
  std::string name;  // AC Name
  std::string protocol;
  uint16_t port = 0;
  uint16_t count = 1;  // port .. port + count - 1
  bool socket_activated = false;
};

struct App {
  std::vector<std::string> exec;  // exec[0] is absolute
  std::string user;
  std::string group;
  std::string working_directory;                                 // "" means "/"
  std::vector<std::pair<std::string, std::string>> environment;  // in manifest order
  std::vector<MountPoint> mount_points;
  std::vector<Port> ports;
};

struct Dependency {
  std::string image_name;  // AC Identifier
  std::string image_id;    // hex of "sha512-<hex>", possibly truncated; "" when absent
  Labels labels;
  uint64_t size = 0;  // bytes of the dependency's ACI; 0 when absent
};

struct ImageManifest {
  std::string ac_version;
  std::string name;  // AC Identifier
  Labels labels;     // "version", "os", "arch", ...
  std::optional<App> app;
  std::vector<Dependency> dependencies;  // placed down in this order, before the image itself
  std::vector<std::string> path_whitelist;
  Labels annotations;
  // What was accepted but is not applied (isolators, event handlers): the importer logs them.
  std::vector<std::string> warnings;
};

// Errors name the field: "image manifest: app.ports[0].port: must be 1..65535".
Result<ImageManifest> parse_image_manifest(std::string_view json);

// exec -> entrypoint, environment, workingDirectory, user:group, ports -> exposed ports
// ("80/tcp", a range as one entry per port), labels (name as well, under "appc.name").
ContainerDefaults container_defaults(const ImageManifest& manifest);

}  // namespace berth::images::appc
