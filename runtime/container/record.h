// What berth-oci remembers about a container between commands: one record per container
// in <root>/<id>/state.json (cereal JSON, versioned, written atomically), plus the
// config.json it was created from and the exec fifo while it waits for `start`.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "isolators/cgroups/cgroup_set.h"

namespace berth::container {

struct Record {
  static constexpr int kVersion = 1;
  int version = kVersion;
  std::string id;
  std::string bundle;
  std::string rootfs;
  pid_t pid = 0;
  unsigned long long start_time = 0;  // /proc/<pid>/stat field 22: tells a reused pid apart
  std::string created;                // RFC 3339
  std::string owner;
  std::map<std::string, std::string> annotations;
  std::vector<cgroups::CgroupDir> cgroups;
};

// Paths inside one container's state directory.
struct StatePaths {
  explicit StatePaths(std::string root_dir, const std::string& id);
  std::string root;
  std::string dir;
  [[nodiscard]] std::string record() const { return dir + "/state.json"; }
  [[nodiscard]] std::string config() const { return dir + "/config.json"; }
  [[nodiscard]] std::string exec_fifo() const { return dir + "/exec.fifo"; }
};

Status save_record(const StatePaths& paths, const Record& record);
Result<Record> load_record(const StatePaths& paths);

// runc's rule: letters, digits and _ + - . only, not starting with a dot.
Status validate_id(const std::string& id);

}  // namespace berth::container
