#include "isolators/gpu/gpu_isolator.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "isolators/gpu/cdi.h"
#include "isolators/gpu/nvml.h"

namespace berth::gpu {
namespace {

using isolators::ContainerConfig;
using isolators::LaunchAdditions;

std::vector<std::string> uuids_of(const NvidiaHost& host) {
  std::vector<std::string> out;
  for (const auto& g : host.gpus) out.push_back(g.uuid);
  return out;
}

// NVML only confirms what /proc says: its absence is normal and its failure is a warning;
// only a contradiction (another GPU behind a minor) stops the isolator.
Status confirm_with_nvml(NvidiaHost& host) {
  if (host.gpus.empty()) return ok();
  auto nvml = Nvml::open();
  if (!nvml) {
    log::warn(nvml.error().message() + "; using /proc/driver/nvidia alone");
    return ok();
  }
  if (!*nvml) {
    log::debug(std::string(kNvmlLibrary) + " is not installed; using /proc/driver/nvidia alone");
    return ok();
  }
  auto gpus = (*nvml)->gpus();
  if (!gpus) {
    log::warn(gpus.error().message() + "; using /proc/driver/nvidia alone");
    return ok();
  }
  return reconcile_with_nvml(host, *gpus);
}

// Appends `add` to `out`, leaving out device nodes and mount points `out` has already.
void merge(LaunchAdditions add, LaunchAdditions& out) {
  for (auto& d : add.devices) {
    const bool have =
        std::any_of(out.devices.begin(), out.devices.end(), [&](const auto& o) { return o.path == d.path; });
    if (!have) out.devices.push_back(std::move(d));
  }
  for (auto& m : add.mounts) {
    const bool have = std::any_of(out.mounts.begin(), out.mounts.end(),
                                  [&](const auto& o) { return o.destination == m.destination; });
    if (!have) out.mounts.push_back(std::move(m));
  }
  for (auto& e : add.env) out.env.push_back(std::move(e));
}

}  // namespace

NvidiaGpuIsolator::NvidiaGpuIsolator(GpuIsolatorOptions options, NvidiaHost host)
    : options_(std::move(options)),
      host_(std::move(host)),
      allocator_(uuids_of(host_), path_join(options_.state_dir, "gpu_allocations.json")) {}

Result<std::unique_ptr<NvidiaGpuIsolator>> NvidiaGpuIsolator::create(GpuIsolatorOptions options) {
  if (options.state_dir.empty()) return Error(EINVAL, "gpu/nvidia: no state directory given");
  BERTH_TRY(mkdir_p(options.state_dir, 0700).context("gpu/nvidia state directory"));
  BERTH_ASSIGN(NvidiaHost host, discover_nvidia(options.root).context("discover NVIDIA GPUs"));
  if (options.root == "/") BERTH_TRY(confirm_with_nvml(host).context("discover NVIDIA GPUs"));
  // The constructor is private: create() is the only way to get an isolator that has looked.
  return std::unique_ptr<NvidiaGpuIsolator>(new NvidiaGpuIsolator(std::move(options), std::move(host)));
}

const NvidiaGpu* NvidiaGpuIsolator::gpu_by_uuid(const std::string& uuid) const {
  for (const auto& g : host_.gpus) {
    if (g.uuid == uuid) return &g;
  }
  return nullptr;
}

std::vector<std::string> NvidiaGpuIsolator::gpus_among(const std::vector<oci::Device>& devices) const {
  std::vector<std::string> out;
  for (const auto& d : devices) {
    if (d.type != 'c' || d.major != kNvidiaMajor) continue;
    for (const auto& g : host_.gpus) {
      if (d.minor == g.minor) out.push_back(g.uuid);
    }
  }
  return out;
}

LaunchAdditions NvidiaGpuIsolator::counted_gpu_additions(const std::vector<std::string>& held,
                                                         const std::vector<std::string>& named,
                                                         const DriverFiles& driver) const {
  LaunchAdditions add;
  for (const auto& uuid : held) {
    const bool by_cdi = std::find(named.begin(), named.end(), uuid) != named.end();
    if (const NvidiaGpu* g = gpu_by_uuid(uuid); g != nullptr && !by_cdi) add.devices.push_back(g->device);
  }
  add.devices.insert(add.devices.end(), host_.control.begin(), host_.control.end());
  add.mounts = driver.mounts;
  add.env.push_back("NVIDIA_VISIBLE_DEVICES=" + join(held, ","));
  if (auto path = ld_library_path(driver.lib_dirs); !path.empty()) add.env.push_back("LD_LIBRARY_PATH=" + path);
  return add;
}

Status NvidiaGpuIsolator::prepare(const ContainerConfig& c, LaunchAdditions& out) {
  const auto& r = c.resources;
  if (r.gpus == 0 && r.cdi_devices.empty()) return ok();
  const std::string who = "container \"" + c.id + "\"";
  // Everything that can fail without holding anything comes first.
  LaunchAdditions cdi;
  if (!r.cdi_devices.empty()) {
    const auto registry = CdiRegistry::load(options_.root, options_.cdi_dirs);
    BERTH_ASSIGN(cdi, registry.resolve(r.cdi_devices, options_.root).context(who));
  }
  DriverFiles driver;
  if (r.gpus > 0) {
    BERTH_ASSIGN(driver, find_driver_files(options_.driver).context(who));
  }
  const auto named = gpus_among(cdi.devices);

  std::vector<std::string> held;
  {
    std::lock_guard lock(mu_);
    BERTH_ASSIGN(held, allocator_.allocate(c.id, r.gpus, named));
  }
  LaunchAdditions add;
  if (r.gpus > 0) add = counted_gpu_additions(held, named, driver);
  merge(std::move(cdi), add);
  merge(std::move(add), out);
  return ok();
}

Status NvidiaGpuIsolator::recover(const std::vector<ContainerConfig>& known) {
  std::set<std::string> ids;
  for (const auto& c : known) ids.insert(c.id);
  std::lock_guard lock(mu_);
  return allocator_.recover(ids);
}

Status NvidiaGpuIsolator::isolate(const ContainerConfig& /*c*/, pid_t /*pid*/) { return ok(); }

Status NvidiaGpuIsolator::update(const ContainerConfig& c, const isolators::ResourceRequest& next) {
  const auto& now = c.resources;
  if (next.gpus != now.gpus) {
    return Error(EINVAL, "container \"" + c.id + "\": its GPUs cannot change while it runs (holds " +
                             std::to_string(now.gpus) + ", asked " + std::to_string(next.gpus) + ")");
  }
  if (next.cdi_devices != now.cdi_devices) {
    return Error(EINVAL, "container \"" + c.id + "\": its CDI devices cannot change while it runs (has [" +
                             join(now.cdi_devices, ", ") + "], asked [" + join(next.cdi_devices, ", ") + "])");
  }
  return ok();
}

Status NvidiaGpuIsolator::usage(const ContainerConfig& c, isolators::Usage& into) {
  std::lock_guard lock(mu_);
  auto held = allocator_.held_by(c.id);
  into.gpus.insert(into.gpus.end(), held.begin(), held.end());
  return ok();
}

Result<std::optional<isolators::Limitation>> NvidiaGpuIsolator::check(const ContainerConfig& /*c*/) {
  return std::optional<isolators::Limitation>{};
}

Status NvidiaGpuIsolator::cleanup(const ContainerConfig& c) {
  std::lock_guard lock(mu_);
  return allocator_.release(c.id);
}

}  // namespace berth::gpu
