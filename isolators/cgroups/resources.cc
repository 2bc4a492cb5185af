#include "isolators/cgroups/resources.h"

#include "isolators/cgroups/resources_internal.h"

namespace berth::cgroups {
namespace {

DeviceRule allow_char(int64_t major, int64_t minor) { return DeviceRule{true, 'c', major, minor, "rwm"}; }

// What every container may use whatever its rules say (runc's AllowedDevices).
std::vector<DeviceRule> standard_devices() {
  return {allow_char(1, 3), allow_char(1, 5), allow_char(1, 7), allow_char(1, 8),    allow_char(1, 9),
          allow_char(5, 0), allow_char(5, 1), allow_char(5, 2), allow_char(136, -1), allow_char(10, 200)};
}

}  // namespace

std::string DeviceRule::v1_line() const {
  auto num = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
  return std::string(1, type) + " " + num(major) + ":" + num(minor) + " " + access;
}

std::vector<DeviceRule> effective_device_rules(const oci::Resources& r, const std::vector<oci::Device>& devices) {
  std::vector<DeviceRule> out;
  bool denies = false;
  for (const auto& d : r.devices) {
    DeviceRule rule;
    rule.allow = d.allow;
    rule.type = d.type.empty() ? 'a' : d.type[0];
    rule.major = d.major.value_or(-1);
    rule.minor = d.minor.value_or(-1);
    rule.access = d.access.empty() ? "rwm" : d.access;
    denies = denies || !d.allow;
    out.push_back(rule);
  }
  if (!denies) return out;
  for (auto& rule : standard_devices()) out.push_back(rule);
  for (const auto& d : devices) {
    if (d.type == 'c' || d.type == 'b') out.push_back(DeviceRule{true, d.type, d.major, d.minor, "rwm"});
  }
  return out;
}

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  if (weight > 1000) weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

Status apply_resources(const CgroupSet& set, const oci::Resources& resources, const std::vector<oci::Device>& devices) {
  bool v2 = !set.dirs().empty() && set.dirs().front().v2;
  auto rules = effective_device_rules(resources, devices);
  if (v2) return apply_resources_v2(set, resources, rules).context("apply linux.resources");
  return apply_resources_v1(set, resources, rules).context("apply linux.resources");
}

}  // namespace berth::cgroups
