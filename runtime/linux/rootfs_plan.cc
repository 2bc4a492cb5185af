#include <sys/mount.h>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/linux/id_maps.h"
#include "runtime/linux/rootfs.h"

namespace berth::rt {
namespace {

oci::Device char_device(const char* path, int64_t major, int64_t minor) {
  oci::Device d;
  d.path = path;
  d.type = 'c';
  d.major = major;
  d.minor = minor;
  d.file_mode = 0666;
  d.uid = 0;
  d.gid = 0;
  return d;
}

// runc's default devices: every container gets these whatever config.json says.
std::vector<oci::Device> default_devices() {
  return {char_device("/dev/null", 1, 3),   char_device("/dev/zero", 1, 5),    char_device("/dev/full", 1, 7),
          char_device("/dev/random", 1, 8), char_device("/dev/urandom", 1, 9), char_device("/dev/tty", 5, 0)};
}

Result<MountPlan> plan_mount(const oci::Mount& m, size_t index, const std::string& bundle) {
  MountPlan plan;
  plan.mount = m;
  std::string where = "mounts[" + std::to_string(index) + "]";
  BERTH_ASSIGN(plan.flags, parse_mount_options(m.options).context(where + ".options"));
  if (m.destination.empty()) return Error(EINVAL, where + ".destination: must not be empty");
  if (m.type == "bind" || m.type == "rbind") plan.flags.flags |= MS_BIND;
  if (m.type == "rbind") plan.flags.flags |= MS_REC;
  plan.source = m.source;
  if (plan.flags.is_bind()) {
    if (m.source.empty()) return Error(EINVAL, where + ".source: a bind mount needs a source");
    if (m.source[0] != '/') plan.source = path_join(bundle, m.source);
  }
  if (plan.flags.idmap && (m.uid_mappings.empty() || m.gid_mappings.empty())) {
    return Error(EINVAL, where + ".options: idmap needs uidMappings and gidMappings");
  }
  if (plan.flags.idmap && !plan.flags.is_bind()) {
    return Error(EINVAL, where + ".options: idmap is for bind mounts (type \"" + m.type + "\")");
  }
  return plan;
}

}  // namespace

Result<RootfsPlan> plan_rootfs(const oci::Spec& spec, const std::string& bundle, const std::string& rootfs,
                               std::vector<CgroupView> cgroups, bool no_pivot) {
  RootfsPlan plan;
  plan.rootfs = rootfs;
  plan.readonly = spec.root && spec.root->readonly;
  plan.cgroups = std::move(cgroups);
  plan.no_pivot = no_pivot;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    BERTH_ASSIGN(auto m, plan_mount(spec.mounts[i], i, bundle));
    plan.mounts.push_back(std::move(m));
  }
  plan.devices = default_devices();
  if (spec.linux) {
    const auto& lx = *spec.linux;
    if (!lx.rootfs_propagation.empty()) {
      BERTH_ASSIGN(plan.root_propagation, parse_propagation(lx.rootfs_propagation));
    }
    plan.devices.insert(plan.devices.end(), lx.devices.begin(), lx.devices.end());
    plan.cgroup_ns = lx.find_namespace("cgroup") != nullptr;
    const oci::Namespace* user = lx.find_namespace("user");
    plan.user_ns = user != nullptr;
    plan.masked_paths = lx.masked_paths;
    plan.readonly_paths = lx.readonly_paths;
    plan.mount_label = lx.mount_label;
    for (const auto& [key, value] : lx.sysctl) {
      std::string path = "/proc/sys/" + key;
      for (size_t i = 10; i < path.size(); ++i) {
        if (path[i] == '.') path[i] = '/';
      }
      plan.sysctl.emplace_back(path, value);
    }
  }
  return plan;
}

Status prepare_idmapped_mounts(RootfsPlan& plan, std::vector<UniqueFd>& owned) {
  for (auto& m : plan.mounts) {
    if (!m.flags.idmap) continue;
    BERTH_ASSIGN(
        UniqueFd ns,
        make_mapped_user_namespace(m.mount.uid_mappings, m.mount.gid_mappings).context("mount " + m.mount.destination));
    m.idmap_userns_fd = ns.get();
    owned.push_back(std::move(ns));
  }
  return ok();
}

}  // namespace berth::rt
