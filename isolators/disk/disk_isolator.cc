#include "isolators/disk/disk_isolator.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/file.h"
#include "isolators/disk/du_scanner.h"
#include "isolators/disk/project_id.h"
#include "isolators/disk/quota_mount.h"
#include "isolators/disk/xfs_quota.h"

namespace berth::isolators::disk {
namespace {

std::string container_name(const std::string& id) { return "container \"" + id + "\""; }

Result<std::string> canonical_dir(const std::string& dir) {
  if (dir.empty()) return Error(EINVAL, "a disk limit needs a sandbox directory");
  std::error_code ec;
  auto path = std::filesystem::canonical(dir, ec);
  if (ec) return Error(ec.value(), "sandbox directory " + dir + ": " + ec.message());
  return path.string();
}

Status check_limit(uint64_t limit_bytes) {
  // A quota of 0 means "no limit" to the kernel: never let it stand for "nothing".
  if (limit_bytes == 0) return Error(EINVAL, "disk limit of 0 bytes");
  return ok();
}

// Whether the file system still counts files or a limit for a project nobody here holds.
Result<bool> taken_on_disk(const std::string& device, uint32_t id) {
  BERTH_ASSIGN(ProjectQuota q, project_quota(device, id));
  return q.used_bytes != 0 || q.inodes != 0 || q.limit_bytes != 0;
}

// Keeps the first error's code and joins every message.
void add_error(std::optional<Error>& into, Error e) {
  if (!into) {
    into = std::move(e);
  } else {
    into = Error(into->code(), into->message() + "; " + e.message());
  }
}

}  // namespace

DiskIsolator::DiskIsolator(DiskIsolatorOptions options)
    : options_(std::move(options)), project_ids_(options_.project_ids) {}

// The block device of the XFS mount holding `dir` when it enforces project quotas; nullopt
// when `dir` is to be scanned instead.
Result<std::optional<DiskIsolator::ProjectQuotaHold>> DiskIsolator::quota_device_for(const std::string& dir) const {
  BERTH_ASSIGN(std::string mountinfo, read_file(options_.mountinfo_path));
  auto mount = mount_holding(parse_mountinfo(mountinfo), dir);
  if (!mount || !enforces_xfs_project_quota(*mount)) return std::optional<ProjectQuotaHold>{};
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Error::from_errno("stat " + dir);
  // A mount table that disagrees with the directory (something mounted on top since) is no
  // ground for a quota: scan instead.
  if (st.st_dev != mount->dev) return std::optional<ProjectQuotaHold>{};
  if (::stat(mount->source.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) {
    return Error(ENODEV, "XFS mount " + mount->mount_point + " holding " + dir + ": its source " + mount->source +
                             " is not a block device quotactl can use");
  }
  return std::optional<ProjectQuotaHold>(ProjectQuotaHold{.project_id = 0, .device = mount->source});
}

// Allots a project id for `owner`, limits it, then labels the tree; undoes all on failure.
Status DiskIsolator::hold_quota(const std::string& owner, const std::string& dir, uint64_t limit_bytes,
                                ProjectQuotaHold& q) {
  const std::string device = q.device;
  BERTH_ASSIGN(q.project_id, project_ids_.allot(owner, [&](uint32_t id) { return taken_on_disk(device, id); }));
  auto held = set_project_quota(q.device, q.project_id, limit_bytes, dir);
  if (held) held = set_project_id_tree(dir, q.project_id);
  if (held) return ok();
  (void)set_project_id_tree(dir, 0);
  (void)set_project_quota(q.device, q.project_id, 0, dir);
  project_ids_.release(q.project_id);
  return held;
}

Result<DiskIsolator::Tracked> DiskIsolator::start(const ContainerConfig& c, uint64_t limit_bytes) {
  BERTH_TRY(check_limit(limit_bytes));
  Tracked t;
  BERTH_ASSIGN(t.dir, canonical_dir(c.sandbox_dir));
  t.limit_bytes = limit_bytes;
  BERTH_ASSIGN(auto quota, quota_device_for(t.dir));
  if (!quota) return t;
  BERTH_TRY(hold_quota(c.id, t.dir, limit_bytes, *quota));
  t.quota = std::move(quota);
  return t;
}

// Lifts the limit and the label; the id goes back to the pool even when that fails.
Status DiskIsolator::stop(Tracked& t) {
  if (!t.quota) return ok();
  std::optional<Error> error;
  if (auto s = set_project_quota(t.quota->device, t.quota->project_id, 0, t.dir); !s) add_error(error, s.error());
  // The engine may have removed the sandbox already: then nothing carries the id any more.
  if (auto s = set_project_id_tree(t.dir, 0); !s && s.error().code() != ENOENT) add_error(error, s.error());
  project_ids_.release(t.quota->project_id);
  t.quota.reset();
  if (error) return *error;
  return ok();
}

Status DiskIsolator::prepare(const ContainerConfig& c, LaunchAdditions& /*out*/) {
  if (!c.resources.disk_bytes) return ok();
  std::lock_guard lock(mu_);
  if (containers_.contains(c.id)) return Error(EEXIST, container_name(c.id) + ": disk limit already prepared");
  auto t = start(c, *c.resources.disk_bytes);
  if (!t) return std::move(t).error().context(container_name(c.id));
  containers_.emplace(c.id, std::move(*t));
  return ok();
}

Status DiskIsolator::update(const ContainerConfig& c, const ResourceRequest& next) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(c.id);
  if (!next.disk_bytes) {
    if (it == containers_.end()) return ok();
    auto s = stop(it->second);
    containers_.erase(it);
    return std::move(s).context(container_name(c.id));
  }
  if (it == containers_.end()) {
    auto t = start(c, *next.disk_bytes);
    if (!t) return std::move(t).error().context(container_name(c.id));
    containers_.emplace(c.id, std::move(*t));
    return ok();
  }
  Tracked& t = it->second;
  BERTH_TRY(check_limit(*next.disk_bytes).context(container_name(c.id)));
  if (t.quota) {
    BERTH_TRY(
        set_project_quota(t.quota->device, t.quota->project_id, *next.disk_bytes, t.dir).context(container_name(c.id)));
  }
  t.limit_bytes = *next.disk_bytes;
  return ok();
}

Result<uint64_t> DiskIsolator::scanned_bytes(Tracked& t) {
  const auto now = options_.clock();
  if (t.last_scan && now - t.last_scan->at < options_.scan_interval) return t.last_scan->used_bytes;
  BERTH_ASSIGN(uint64_t used, used_bytes(t.dir));
  t.last_scan = Scan{.used_bytes = used, .at = now};
  return used;
}

Status DiskIsolator::usage(const ContainerConfig& c, Usage& into) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(c.id);
  if (it == containers_.end()) return ok();
  Tracked& t = it->second;
  if (t.quota) {
    auto q = project_quota(t.quota->device, t.quota->project_id);
    if (!q) return std::move(q).error().context(container_name(c.id));
    into.disk_used_bytes = q->used_bytes;
    into.disk_limit_bytes = q->limit_bytes;
    return ok();
  }
  auto used = scanned_bytes(t);
  if (!used) return std::move(used).error().context(container_name(c.id));
  into.disk_used_bytes = *used;
  into.disk_limit_bytes = t.limit_bytes;
  return ok();
}

Result<std::optional<Limitation>> DiskIsolator::check(const ContainerConfig& c) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(c.id);
  if (it == containers_.end() || it->second.quota) return std::optional<Limitation>{};
  Tracked& t = it->second;
  auto used = scanned_bytes(t);
  if (!used) return std::move(used).error().context(container_name(c.id));
  if (*used <= t.limit_bytes) return std::optional<Limitation>{};
  return std::optional<Limitation>(Limitation{
      .resource = std::string(kDiskResource),
      .reason = std::string(kDiskLimitReason),
      .message = container_name(c.id) + ": " + std::to_string(*used) + " bytes used in " + t.dir +
                 ", over its disk limit of " + std::to_string(t.limit_bytes) + " bytes",
      .kill = options_.on_limit == DiskLimitAction::kKill,
  });
}

Status DiskIsolator::cleanup(const ContainerConfig& c) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(c.id);
  if (it == containers_.end()) return ok();
  auto s = stop(it->second);
  containers_.erase(it);
  return std::move(s).context(container_name(c.id));
}

// Takes back the id the sandbox carries when it is ours to take, else labels it anew.
Status DiskIsolator::recover_one(const ContainerConfig& c) {
  const uint64_t limit = *c.resources.disk_bytes;
  auto dir = canonical_dir(c.sandbox_dir);
  if (!dir && dir.error().code() == ENOENT) return ok();  // gone: nothing left to hold
  if (!dir) return std::move(dir).error();
  BERTH_ASSIGN(auto quota, quota_device_for(*dir));
  if (quota) {
    BERTH_ASSIGN(uint32_t id, project_id_of(*dir));
    if (project_ids_.adopt(id, c.id)) {
      quota->project_id = id;
      Tracked t{.dir = *dir, .limit_bytes = limit, .quota = std::move(quota), .last_scan = std::nullopt};
      // The record's limit is the one that holds, should the file system's differ.
      if (auto s = set_project_quota(t.quota->device, id, limit, t.dir); !s) {
        project_ids_.release(id);
        return s;
      }
      containers_.emplace(c.id, std::move(t));
      return ok();
    }
  }
  BERTH_ASSIGN(Tracked t, start(c, limit));
  containers_.emplace(c.id, std::move(t));
  return ok();
}

Status DiskIsolator::recover(const std::vector<ContainerConfig>& known) {
  std::lock_guard lock(mu_);
  containers_.clear();
  project_ids_ = ProjectIdAllotment(options_.project_ids);
  std::optional<Error> error;
  for (const auto& c : known) {
    if (!c.resources.disk_bytes) continue;
    if (auto s = recover_one(c); !s) add_error(error, std::move(s).error().context(container_name(c.id)));
  }
  if (error) return Error(error->code(), "recover disk limits: " + error->message());
  return ok();
}

}  // namespace berth::isolators::disk
