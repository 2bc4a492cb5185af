// The host's cgroup hierarchies as the integration tests look at them: where a container's
// (or a peer's) cgroup directories are, and removing the ones a peer left behind. Reads
// /proc/self/mountinfo itself, never berth's own cgroup code, so that it checks that code.
#pragma once

#include <string>
#include <vector>

namespace berth::integration {

// The mount points of the cgroup hierarchies (v1 and v2): one per super block, the mount of
// its root ("/"), so that a bind of a sub-cgroup somewhere else (a container's view) is
// never taken.
std::vector<std::string> cgroup_mount_points();

// The directories of the container `id` (berth/<id>) that exist on the host: v1, one per
// hierarchy; v2, one.
std::vector<std::string> cgroup_dirs_of(const std::string& id);

// The cgroup directories below `relative` (not itself), in every hierarchy, as
// "<mount point>/<relative>/<sub dir>".
std::vector<std::string> cgroup_dirs_below(const std::string& relative);

// Removes the cgroup `relative` ("/berth-…") and everything below it from every mounted
// hierarchy (v1 and v2), killing by pid any process still in it. Returns what it could
// not remove, one per line; "" when all is gone.
std::string remove_cgroup_tree(const std::string& relative);

}  // namespace berth::integration
