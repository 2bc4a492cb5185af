#include "runtime/container/update.h"

#include <cerrno>
#include <vector>

#include "common/file.h"
#include "isolators/cgroups/cgroup_set.h"
#include "isolators/cgroups/resources.h"
#include "runtime/container/container.h"

namespace berth::container {
namespace {

// linux.devices of the config.json the container was created from.
Result<std::vector<oci::Device>> container_devices(const StatePaths& paths) {
  BERTH_ASSIGN(auto text, read_file(paths.config()));
  BERTH_ASSIGN(oci::Spec spec, oci::parse_spec(text));
  if (!spec.linux) return std::vector<oci::Device>{};
  return std::move(spec.linux->devices);
}

}  // namespace

Status update(const std::string& root, const std::string& id, const oci::Resources& resources) {
  BERTH_ASSIGN(StateView view, state(root, id));
  if (view.status == "stopped") return Error(EINVAL, "cannot update container \"" + id + "\": it is stopped");
  StatePaths paths(root, id);
  std::vector<oci::Device> devices;
  if (!resources.devices.empty()) {
    BERTH_ASSIGN(devices, container_devices(paths).context("update container \"" + id + "\""));
  }
  cgroups::CgroupSet set(view.record.cgroups);
  return cgroups::apply_resources(set, resources, devices).context("update container \"" + id + "\"");
}

}  // namespace berth::container
