// Shared by the v1 and v2 resource writers: the effective device rules.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "isolators/cgroups/cgroup_set.h"
#include "runtime/oci/spec.h"

namespace berth::cgroups {

struct DeviceRule {
  bool allow = false;
  char type = 'a';     // a, c, b
  int64_t major = -1;  // -1: any
  int64_t minor = -1;
  std::string access = "rwm";
  [[nodiscard]] std::string v1_line() const;  // "c 1:3 rwm", "a *:* rwm"
};

// The spec's rules, then (when any rule denies) the standard devices and the container's
// own device nodes allowed again.
std::vector<DeviceRule> effective_device_rules(const oci::Resources& r, const std::vector<oci::Device>& devices);

Status apply_resources_v1(const CgroupSet& set, const oci::Resources& r, const std::vector<DeviceRule>& devices);
Status apply_resources_v2(const CgroupSet& set, const oci::Resources& r, const std::vector<DeviceRule>& devices);

}  // namespace berth::cgroups
