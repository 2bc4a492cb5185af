// Tells, from /proc/self/mountinfo text, which mount holds a directory and whether that
// mount can enforce XFS project quotas. Pure parsing: it must never touch the file system,
// so that unit tests feed it any mount table.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::isolators::disk {

// One line of mountinfo (proc(5)), with the octal escapes (\040) of paths undone.
struct MountEntry {
  dev_t dev = 0;  // field 3, major:minor, as stat(2)'s st_dev
  std::string mount_point;
  std::string fs_type;
  std::string source;         // the block device for a disk file system: "/dev/loop5"
  std::string super_options;  // "rw,attr2,inode64,prjquota"
};

// The lines that parse; malformed ones are skipped.
std::vector<MountEntry> parse_mountinfo(std::string_view text);

// The mount through which `path` (absolute, symlinks resolved) is reached: the deepest mount
// point at or above it, the later one when two share a mount point (it is on top).
std::optional<MountEntry> mount_holding(const std::vector<MountEntry>& mounts, std::string_view path);

// XFS mounted with project quotas enforced ("prjquota", or its alias "pquota"); accounting
// alone ("pqnoenforce") cannot stop a write, and ext4's prjquota is not driven through XFS's
// quotactl interface here.
bool enforces_xfs_project_quota(const MountEntry& mount);

// The mount holding `path` when it enforces XFS project quotas.
std::optional<MountEntry> xfs_project_quota_mount(std::string_view mountinfo, std::string_view path);

}  // namespace berth::isolators::disk
