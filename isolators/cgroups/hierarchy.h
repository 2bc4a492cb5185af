// Where the cgroup file systems are mounted on this host and which version each is.
// Reads /proc/self/mountinfo (or an injected root for tests); never writes anything.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace berth::cgroups {

enum class HostMode { kV1, kV2, kHybrid };

struct Hierarchy {
  std::string mount_point;               // /sys/fs/cgroup/memory, /sys/fs/cgroup
  std::vector<std::string> controllers;  // v1: from the mount options (incl. "name=systemd"); v2: empty
  bool v2 = false;
};

struct HostCgroups {
  HostMode mode = HostMode::kV1;
  std::vector<Hierarchy> hierarchies;  // v1 hierarchies, then the v2 one (if any)
  [[nodiscard]] const Hierarchy* unified() const;
};

// Parses mountinfo text (the format of /proc/self/mountinfo).
Result<HostCgroups> parse_mountinfo(const std::string& mountinfo);
// Reads this process's mountinfo.
Result<HostCgroups> discover();

}  // namespace berth::cgroups
