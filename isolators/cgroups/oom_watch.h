// Being told when the kernel's OOM killer strikes in a container's memory cgroup, without
// polling its files: an eventfd registered on v1 memory.oom_control, an inotify watch on v2
// memory.events. Only watches: the count of kills is read with oom_kill_count().
#pragma once

#include "common/fd.h"
#include "common/result.h"
#include "isolators/cgroups/cgroup_set.h"

namespace berth::cgroups {

class OomWatch {
 public:
  // Registers the watch on the container's memory cgroup.
  static Result<OomWatch> open(const CgroupSet& set);

  // Readable (poll POLLIN) when an OOM event may have happened since the last take_events().
  [[nodiscard]] int fd() const { return fd_.get(); }
  // Whether events arrived since the last call; never blocks.
  Result<bool> take_events() const;

 private:
  OomWatch(UniqueFd fd, bool v2) : fd_(std::move(fd)), v2_(v2) {}
  UniqueFd fd_;
  bool v2_ = false;
};

}  // namespace berth::cgroups
