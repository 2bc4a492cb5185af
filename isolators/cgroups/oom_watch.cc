#include "isolators/cgroups/oom_watch.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <string>

#include "common/file.h"

namespace berth::cgroups {
Result<OomWatch> OomWatch::open(const CgroupSet& set) {
  if (!set.dirs().empty() && set.dirs().front().v2) {
    const std::string events = path_join(set.dirs().front().path, "memory.events");
    UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd) return Error::from_errno("watch OOM events: inotify_init1");
    if (::inotify_add_watch(fd.get(), events.c_str(), IN_MODIFY) < 0) {
      return Error::from_errno("watch OOM events: inotify_add_watch " + events);
    }
    return OomWatch(std::move(fd), true);
  }
  const CgroupDir* memory = set.v1_dir("memory");
  if (memory == nullptr) return Error(ENOENT, "watch OOM events: this host has no memory cgroup controller");
  // v1: "<eventfd> <fd of memory.oom_control>" written to cgroup.event_control registers the
  // eventfd; the kernel drops the registration when the cgroup goes away.
  const std::string control = path_join(memory->path, "memory.oom_control");
  UniqueFd oom_control(::open(control.c_str(), O_RDONLY | O_CLOEXEC));
  if (!oom_control) return Error::from_errno("watch OOM events: open " + control);
  UniqueFd efd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!efd) return Error::from_errno("watch OOM events: eventfd");
  const std::string registration = std::to_string(efd.get()) + " " + std::to_string(oom_control.get());
  BERTH_TRY(write_existing(path_join(memory->path, "cgroup.event_control"), registration)
                .context("watch OOM events of " + memory->path));
  return OomWatch(std::move(efd), false);
}

Result<bool> OomWatch::take_events() const {
  bool any = false;
  std::array<char, 4096> buf{};
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf.data(), v2_ ? buf.size() : sizeof(uint64_t));
    if (n > 0) {
      any = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return Error::from_errno("read OOM events");
    return any;
  }
}

}  // namespace berth::cgroups
