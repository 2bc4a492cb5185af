// Pausing a container: every process of its cgroup frozen and thawed again, through the v1
// freezer controller (freezer.state) or the v2 cgroup.freeze file. Never signals or moves a
// process, and never leaves a cgroup half-frozen: a freeze that does not finish is undone.
#pragma once

#include <chrono>

#include "common/result.h"
#include "isolators/cgroups/cgroup_set.h"

namespace berth::cgroups {

// Freezes the container's cgroup and waits until every process in it is frozen. A v1
// freeze can stay FREEZING while processes keep arriving or sleep in the kernel; one not
// done within `timeout` is thawed back and reported as an error naming the cgroup.
Status freeze(const CgroupSet& set, std::chrono::milliseconds timeout);
// Lets the container's processes run again (a no-op on a cgroup that is not frozen).
Status thaw(const CgroupSet& set);
// Whether the cgroup is frozen now (v1: FROZEN, not FREEZING; v2: cgroup.events "frozen 1").
Result<bool> is_frozen(const CgroupSet& set);

}  // namespace berth::cgroups
