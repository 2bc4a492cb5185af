// pause and resume: a running container's processes frozen in their cgroup and thawed
// again (what runc pause/resume do). A paused container reads "paused" in its state; it is
// never left half-frozen, and nothing here signals or removes anything.
#pragma once

#include <string>

#include "common/result.h"

namespace berth::container {

// Freezes every process of a running container; refuses any other (created, stopped,
// already paused) with runc's words.
Status pause(const std::string& root, const std::string& id);
// Thaws a paused container; refuses one that is not paused.
Status resume(const std::string& root, const std::string& id);

}  // namespace berth::container
