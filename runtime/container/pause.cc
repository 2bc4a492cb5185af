#include "runtime/container/pause.h"

#include <cerrno>
#include <chrono>

#include "isolators/cgroups/cgroup_set.h"
#include "isolators/cgroups/freezer.h"
#include "runtime/container/container.h"

namespace berth::container {
namespace {

// A healthy freeze takes milliseconds; one still FREEZING after this has a process stuck
// in the kernel (uninterruptible I/O, a hung mount) and is undone rather than waited out.
constexpr std::chrono::seconds kFreezeTimeout{5};

}  // namespace

Status pause(const std::string& root, const std::string& id) {
  BERTH_ASSIGN(StateView view, state(root, id));
  if (view.status == "paused") return Error(EINVAL, "cannot pause container \"" + id + "\": it is already paused");
  if (view.status != "running") {
    return Error(EINVAL, "cannot pause container \"" + id + "\": container not running (it is " + view.status + ")");
  }
  cgroups::CgroupSet set(view.record.cgroups);
  return cgroups::freeze(set, kFreezeTimeout).context("pause container \"" + id + "\"");
}

Status resume(const std::string& root, const std::string& id) {
  BERTH_ASSIGN(StateView view, state(root, id));
  if (view.status != "paused") {
    return Error(EINVAL, "cannot resume container \"" + id + "\": container not paused (it is " + view.status + ")");
  }
  cgroups::CgroupSet set(view.record.cgroups);
  return cgroups::thaw(set).context("resume container \"" + id + "\"");
}

}  // namespace berth::container
