#include "isolators/disk/xfs_quota.h"

#include <linux/dqblk_xfs.h>
#include <sys/quota.h>

#include <cerrno>

namespace berth::isolators::disk {
namespace {

// XFS counts blocks in "basic blocks" of 512 bytes (linux/dqblk_xfs.h).
constexpr uint64_t kBasicBlockBytes = 512;

}  // namespace

Status set_project_quota(const std::string& device, uint32_t id, uint64_t limit_bytes, const std::string& dir) {
  fs_disk_quota q{};
  q.d_version = FS_DQUOT_VERSION;
  q.d_flags = FS_PROJ_QUOTA;
  q.d_id = id;
  q.d_fieldmask = FS_DQ_BHARD | FS_DQ_BSOFT;
  q.d_blk_hardlimit = (limit_bytes + kBasicBlockBytes - 1) / kBasicBlockBytes;
  q.d_blk_softlimit = 0;
  if (::quotactl(QCMD(Q_XSETQLIM, PRJQUOTA), device.c_str(), static_cast<int>(id),
                 reinterpret_cast<caddr_t>(&q)) != 0) {  // NOLINT: quotactl's signature
    return Error::from_errno("set XFS project quota " + std::to_string(id) + " on " + device + " for " + dir +
                             ": quotactl Q_XSETQLIM");
  }
  return ok();
}

Result<ProjectQuota> project_quota(const std::string& device, uint32_t id) {
  fs_disk_quota q{};
  if (::quotactl(QCMD(Q_XGETQUOTA, PRJQUOTA), device.c_str(), static_cast<int>(id),
                 reinterpret_cast<caddr_t>(&q)) != 0) {  // NOLINT: quotactl's signature
    if (errno == ENOENT) return ProjectQuota{};          // no dquot: nothing used, no limit
    return Error::from_errno("read XFS project quota " + std::to_string(id) + " on " + device +
                             ": quotactl Q_XGETQUOTA");
  }
  return ProjectQuota{.used_bytes = q.d_bcount * kBasicBlockBytes,
                      .limit_bytes = q.d_blk_hardlimit * kBasicBlockBytes,
                      .inodes = q.d_icount};
}

}  // namespace berth::isolators::disk
