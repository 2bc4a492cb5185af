#include "isolators/cpu_memory/memory_isolator.h"

#include "common/file.h"
#include "common/log.h"
#include "isolators/cgroups/stats.h"

namespace berth::isolators {

bool MemoryIsolator::accounts_swap(const ContainerConfig& c) const {
  const cgroups::Hierarchy* unified = host().unified();
  if (host().mode == cgroups::HostMode::kV2 && unified != nullptr) {
    // Every non-root cgroup has memory.swap.max when the kernel accounts swap; the
    // container's own directory may not exist yet, its parent does.
    const std::string dir = path_join(unified->mount_point, c.cgroup);
    return path_exists(path_join(dir, "memory.swap.max")) || path_exists(path_join(dirname_of(dir), "memory.swap.max"));
  }
  for (const auto& h : host().hierarchies) {
    for (const auto& controller : h.controllers) {
      if (controller == "memory") return path_exists(path_join(h.mount_point, "memory.memsw.limit_in_bytes"));
    }
  }
  return false;
}

Result<oci::Resources> MemoryIsolator::resources_for(const ContainerConfig& c, const ResourceRequest& r) const {
  oci::Resources out;
  if (!r.mem_bytes && !r.mem_soft_bytes) return out;
  const std::string who = "container \"" + c.id + "\": ";
  if (r.mem_bytes && *r.mem_bytes < kMinBytes) {
    return Error(EINVAL, who + "mem " + std::to_string(*r.mem_bytes) + " bytes is below the minimum of " +
                             std::to_string(kMinBytes) + " (32 MiB)");
  }
  if (r.mem_bytes && r.mem_soft_bytes && *r.mem_soft_bytes > *r.mem_bytes) {
    return Error(EINVAL, who + "the soft memory limit " + std::to_string(*r.mem_soft_bytes) +
                             " is above the hard limit " + std::to_string(*r.mem_bytes));
  }
  oci::Resources::Memory memory;
  if (r.mem_bytes) {
    memory.limit = static_cast<int64_t>(*r.mem_bytes);
    if (options_.limit_swap && accounts_swap(c)) memory.swap = memory.limit;
  }
  if (r.mem_soft_bytes) memory.reservation = static_cast<int64_t>(*r.mem_soft_bytes);
  out.memory = memory;
  return out;
}

Status MemoryIsolator::isolate(const ContainerConfig& c, pid_t pid) {
  BERTH_TRY(CgroupIsolator::isolate(c, pid));
  // Without the watch check() still works, reading the kill count every time.
  auto watch = cgroups::OomWatch::open(cgroups_of(c));
  if (watch) {
    watches_.insert_or_assign(c.id, std::move(*watch));
  } else {
    log::warn("container \"" + c.id + "\": " + watch.error().message());
  }
  return ok();
}

Result<std::optional<Limitation>> MemoryIsolator::check(const ContainerConfig& c) {
  if (auto it = struck_.find(c.id); it != struck_.end()) return std::optional<Limitation>(it->second);
  // The watch only wakes the engine early; the count decides (a v1 event comes when the
  // cgroup enters OOM, before the kill is counted).
  if (auto it = watches_.find(c.id); it != watches_.end()) BERTH_TRY(it->second.take_events());
  BERTH_ASSIGN(uint64_t kills, cgroups::oom_kill_count(cgroups_of(c)));
  // The cgroup is the container's own from its creation: any kill in it is the container's.
  if (kills == 0) return std::optional<Limitation>{};
  Limitation l;
  l.resource = "mem";
  l.reason = kOomReason;
  l.message = "Memory limit exceeded: the kernel's OOM killer killed " + std::to_string(kills) +
              (kills == 1 ? " process" : " processes") + " of container \"" + c.id + "\"";
  if (c.resources.mem_bytes) l.message += " (limit " + std::to_string(*c.resources.mem_bytes) + " bytes)";
  l.kill = true;  // what is left of a container that lost a process is not what was asked to run
  struck_.insert_or_assign(c.id, l);
  return std::optional<Limitation>(std::move(l));
}

int MemoryIsolator::oom_fd(const std::string& id) const {
  auto it = watches_.find(id);
  return it == watches_.end() ? -1 : it->second.fd();
}

Status MemoryIsolator::cleanup(const ContainerConfig& c) {
  watches_.erase(c.id);
  struck_.erase(c.id);
  return ok();
}

}  // namespace berth::isolators
