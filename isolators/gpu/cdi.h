// Container Device Interface specs (cdiVersion, kind, devices, containerEdits) read from
// /etc/cdi and /var/run/cdi as JSON or YAML, and what a list of fully qualified device names
// ("nvidia.com/gpu=0") adds to a container. Reads spec files and stats device nodes; never
// runs a spec's hooks and never changes the host.
//
// Choices, documented once here:
//   - hooks are ignored with a logged warning, not refused: NVIDIA's generated specs carry
//     hooks (update-ldcache, create-symlinks) that only tidy the container, and berth runs
//     no code from a device vendor's file on the host as root;
//   - deviceNodes[].permissions is read but not enforced: a listed node is allowed "rwm" by
//     the device cgroup like every linux.devices entry;
//   - JSON specs are read with the YAML parser (JSON is YAML), as CDI's Go library does;
//     unknown fields are ignored, as there.
//   - /var/run/cdi (later in the list) overrides /etc/cdi; one name defined twice in the same
//     directory is a conflict that makes the name unusable.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "isolators/isolator.h"

namespace berth::gpu {

struct CdiDeviceNode {
  std::string path;       // in the container
  std::string host_path;  // "" means path
  std::optional<char> type;
  std::optional<int64_t> major, minor;
  std::optional<uint32_t> file_mode, uid, gid;
  std::string permissions;
};

struct CdiMount {
  std::string host_path, container_path, type;
  std::vector<std::string> options;
};

struct CdiEdits {
  std::vector<std::string> env;  // NAME=value
  std::vector<CdiDeviceNode> device_nodes;
  std::vector<CdiMount> mounts;
  size_t hooks = 0;  // how many were given (and are ignored)
};

struct CdiDevice {
  std::string name;
  CdiEdits edits;
};

struct CdiSpec {
  std::string file;
  std::string version;  // cdiVersion
  std::string kind;     // "vendor.com/class"
  std::vector<CdiDevice> devices;
  CdiEdits edits;  // applied once for any of its devices
};

// A spec from the text of `file` (named in errors with the field: "FILE: devices[0].name: …").
Result<CdiSpec> parse_cdi_spec(std::string_view text, const std::string& file);

// "vendor.com/class=name" split into kind and name; an error when it is not such a name.
struct CdiName {
  std::string kind, name;
};
Result<CdiName> parse_cdi_name(std::string_view qualified);

class CdiRegistry {
 public:
  // The *.json, *.yaml and *.yml specs in `dirs` beneath `root`. A spec that cannot be read
  // does not stop the others: it is kept in problems().
  static CdiRegistry load(const std::string& root, const std::vector<std::string>& dirs);

  [[nodiscard]] const std::vector<std::string>& problems() const { return problems_; }
  // Every usable fully qualified name, sorted.
  [[nodiscard]] std::vector<std::string> names() const;

  // What the devices `names` add: for each spec used its own edits once, then each device's.
  // Device nodes without a type or numbers get them from the host's node, stat'ed beneath
  // `root`. An unknown name is an error that lists the known ones.
  [[nodiscard]] Result<isolators::LaunchAdditions> resolve(const std::vector<std::string>& names,
                                                           const std::string& root) const;

 private:
  struct Entry {
    size_t spec = 0, device = 0, priority = 0;
    std::string conflict;  // why the name is unusable, when it is
  };
  void add(CdiSpec spec, size_t priority);
  [[nodiscard]] Error unknown(const std::string& qualified) const;

  std::vector<CdiSpec> specs_;
  std::map<std::string, Entry> devices_;  // by fully qualified name
  std::vector<std::string> problems_;
};

}  // namespace berth::gpu
