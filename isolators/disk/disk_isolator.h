// The disk isolator: holds what a container keeps in its sandbox directory (writable layer,
// sandbox, volumes) to resources.disk_bytes. On XFS mounted with prjquota the kernel enforces
// it with a project quota (writes fail with EDQUOT); elsewhere a throttled du scan (Mesos'
// disk/du) reports going over, and asks for a kill when the policy says so. It must never
// change a file's contents, nor label or scan anything outside the sandbox's file system.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isolators/disk/project_id_allotment.h"
#include "isolators/isolator.h"

namespace berth::isolators::disk {

// The Limitation a du-scanned container gets when over its limit: resource "disk", reason
// kDiskLimitReason. Kubelet only says "Evicted" for ephemeral storage and Mesos
// REASON_CONTAINER_LIMITATION_DISK; this names the cause in the CamelCase that kubelet's
// container reasons ("OOMKilled") use.
inline constexpr std::string_view kDiskResource = "disk";
inline constexpr std::string_view kDiskLimitReason = "DiskLimitExceeded";

// What a scanned container over its limit gets: a report only, or a report that asks the
// engine to stop it (Mesos' --enforce_container_disk_quota).
enum class DiskLimitAction { kReport, kKill };

struct DiskIsolatorOptions {
  DiskLimitAction on_limit = DiskLimitAction::kReport;
  // check() and usage() scan a container's directory at most this often (Mesos'
  // --container_disk_watch_interval); in between they reuse the last result.
  std::chrono::milliseconds scan_interval = std::chrono::seconds(15);
  ProjectIdRange project_ids;
  // Which mount holds a sandbox, and whether it is XFS with prjquota: a test may point this
  // at a mount table of its own.
  std::string mountinfo_path = "/proc/self/mountinfo";
  // The time scans are throttled by; a test may stop it.
  std::function<std::chrono::steady_clock::time_point()> clock = std::chrono::steady_clock::now;
};

class DiskIsolator final : public Isolator {
 public:
  explicit DiskIsolator(DiskIsolatorOptions options = {});

  [[nodiscard]] std::string_view name() const override { return "disk"; }

  // Takes back the project ids that the known containers' sandboxes carry. An id in the range
  // that no known container's sandbox carries is left as it is: nothing here says which
  // directory holds its files, so its limit stays until those files are gone, and allot()
  // never hands it out meanwhile (the file system still counts files for it).
  Status recover(const std::vector<ContainerConfig>& known) override;
  // With disk_bytes: the sandbox directory (which must exist) gets a project quota, or is
  // scanned from now on. Without: nothing.
  Status prepare(const ContainerConfig& c, LaunchAdditions& out) override;
  Status isolate(const ContainerConfig& /*c*/, pid_t /*pid*/) override { return ok(); }
  Status update(const ContainerConfig& c, const ResourceRequest& next) override;
  Status usage(const ContainerConfig& c, Usage& into) override;
  // Scanned containers only: with a project quota the kernel refuses the write instead.
  Result<std::optional<Limitation>> check(const ContainerConfig& c) override;
  Status cleanup(const ContainerConfig& c) override;

 private:
  struct ProjectQuotaHold {
    uint32_t project_id = 0;
    std::string device;  // the block device quotactl(2) takes: "/dev/loop5"
  };
  struct Scan {
    uint64_t used_bytes = 0;
    std::chrono::steady_clock::time_point at;
  };
  // One container with a disk limit; `quota` when the kernel enforces it.
  struct Tracked {
    std::string dir;  // canonical sandbox directory
    uint64_t limit_bytes = 0;
    std::optional<ProjectQuotaHold> quota;
    std::optional<Scan> last_scan;
  };

  Result<Tracked> start(const ContainerConfig& c, uint64_t limit_bytes);
  Status stop(Tracked& t);
  Status recover_one(const ContainerConfig& c);
  Result<std::optional<ProjectQuotaHold>> quota_device_for(const std::string& dir) const;
  Status hold_quota(const std::string& owner, const std::string& dir, uint64_t limit_bytes, ProjectQuotaHold& q);
  Result<uint64_t> scanned_bytes(Tracked& t);

  DiskIsolatorOptions options_;
  std::mutex mu_;  // guards what follows; scans run under it
  std::map<std::string, Tracked> containers_;
  ProjectIdAllotment project_ids_;
};

}  // namespace berth::isolators::disk
