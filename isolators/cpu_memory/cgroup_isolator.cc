#include "isolators/cpu_memory/cgroup_isolator.h"

#include "isolators/cgroups/resources.h"
#include "isolators/cgroups/stats.h"

namespace berth::isolators {

cgroups::CgroupSet CgroupIsolator::cgroups_of(const ContainerConfig& c) const {
  return cgroups::CgroupSet::plan(host_, c.cgroup);
}

Status CgroupIsolator::apply(const ContainerConfig& c, const ResourceRequest& r) const {
  BERTH_ASSIGN(auto resources, resources_for(c, r));
  return cgroups::apply_resources(cgroups_of(c), resources, {}).context("container \"" + c.id + "\"");
}

// The limits live in the kernel; there is nothing to rebuild.
Status CgroupIsolator::recover(const std::vector<ContainerConfig>& /*known*/) { return ok(); }

Status CgroupIsolator::prepare(const ContainerConfig& c, LaunchAdditions& /*out*/) {
  if (c.cgroup.empty()) return Error(EINVAL, "container \"" + c.id + "\": no cgroup path");
  BERTH_TRY(resources_for(c, c.resources));
  return ok();
}

Status CgroupIsolator::isolate(const ContainerConfig& c, pid_t /*pid*/) { return apply(c, c.resources); }

Status CgroupIsolator::update(const ContainerConfig& c, const ResourceRequest& next) { return apply(c, next); }

Status CgroupIsolator::usage(const ContainerConfig& c, Usage& into) {
  if (into.cgroup) return ok();
  BERTH_ASSIGN(auto stats, cgroups::read_stats(cgroups_of(c)));
  into.cgroup = std::move(stats);
  return ok();
}

Result<std::optional<Limitation>> CgroupIsolator::check(const ContainerConfig& /*c*/) {
  return std::optional<Limitation>{};
}

// The runtime removes the cgroups with the container.
Status CgroupIsolator::cleanup(const ContainerConfig& /*c*/) { return ok(); }

}  // namespace berth::isolators
