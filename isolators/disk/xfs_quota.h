// XFS project quota limits and usage through quotactl(2) on the mount's block device
// (Q_XSETQLIM, Q_XGETQUOTA). It only sets and reads block limits of one project; it must
// never turn quota accounting or enforcement on or off for the file system.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace berth::isolators::disk {

struct ProjectQuota {
  uint64_t used_bytes = 0;
  uint64_t limit_bytes = 0;  // the hard block limit; 0: none
  uint64_t inodes = 0;       // files the project holds
};

// Sets project `id`'s hard block limit on the file system of `device` (soft limit cleared),
// rounded up to whole 512-byte blocks; 0 removes the limit. `dir` is only for messages.
Status set_project_quota(const std::string& device, uint32_t id, uint64_t limit_bytes, const std::string& dir);

// What project `id` uses and may use; all zero when the file system has no record of it.
// quotactl says ENOENT for a missing `device` too: the caller checks that it exists.
Result<ProjectQuota> project_quota(const std::string& device, uint32_t id);

}  // namespace berth::isolators::disk
