// The NVIDIA GPU isolator (Mesos' gpu/nvidia): whole GPUs given exclusively, by count
// (resources.gpus) or by CDI name (resources.cdi_devices), as device nodes, read-only driver
// mounts and NVIDIA_VISIBLE_DEVICES from prepare(). Never makes a node or a mount itself,
// and never gives one GPU to two containers.
//
// CDI devices are shared by default (a CDI spec may name anything: a NIC, an FPGA, a
// socket); a CDI device whose nodes include a GPU's /dev/nvidia<N> holds that GPU
// exclusively, counted with resources.gpus, so that CDI and counted GPUs never overlap.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "isolators/gpu/driver_files.h"
#include "isolators/gpu/gpu_allocator.h"
#include "isolators/gpu/nvidia_discovery.h"
#include "isolators/isolator.h"

namespace berth::gpu {

struct GpuIsolatorOptions {
  std::string root = "/";  // where the host's /proc and /dev are read (tests fake a tree)
  std::string state_dir;   // required: where the GPU holdings are kept across restarts
  DriverSearch driver;
  std::vector<std::string> cdi_dirs = {"/etc/cdi", "/var/run/cdi"};  // beneath root; later ones win
};

class NvidiaGpuIsolator final : public isolators::Isolator {
 public:
  // Discovers the GPUs beneath options.root (and, when it is "/", checks them against NVML
  // when libnvidia-ml.so.1 is installed). A host without GPUs is fine: only requests for
  // GPUs are refused.
  static Result<std::unique_ptr<NvidiaGpuIsolator>> create(GpuIsolatorOptions options);

  [[nodiscard]] std::string_view name() const override { return "gpu/nvidia"; }
  [[nodiscard]] const NvidiaHost& host() const { return host_; }

  Status recover(const std::vector<isolators::ContainerConfig>& known) override;
  Status prepare(const isolators::ContainerConfig& c, isolators::LaunchAdditions& out) override;
  Status isolate(const isolators::ContainerConfig& c, pid_t pid) override;
  // Refused when the GPUs asked for change: a running process cannot gain or lose a device.
  Status update(const isolators::ContainerConfig& c, const isolators::ResourceRequest& next) override;
  Status usage(const isolators::ContainerConfig& c, isolators::Usage& into) override;
  Result<std::optional<isolators::Limitation>> check(const isolators::ContainerConfig& c) override;
  Status cleanup(const isolators::ContainerConfig& c) override;

 private:
  NvidiaGpuIsolator(GpuIsolatorOptions options, NvidiaHost host);
  [[nodiscard]] std::vector<std::string> gpus_among(const std::vector<oci::Device>& devices) const;
  [[nodiscard]] const NvidiaGpu* gpu_by_uuid(const std::string& uuid) const;
  [[nodiscard]] isolators::LaunchAdditions counted_gpu_additions(const std::vector<std::string>& held,
                                                                 const std::vector<std::string>& named,
                                                                 const DriverFiles& driver) const;

  GpuIsolatorOptions options_;
  NvidiaHost host_;
  std::mutex mu_;  // guards allocator_: the engine may prepare and clean up concurrently
  GpuAllocator allocator_;
};

}  // namespace berth::gpu
