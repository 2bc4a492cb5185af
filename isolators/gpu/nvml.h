// NVML (libnvidia-ml.so.1) reached through dlopen, so that berth builds and runs without the
// NVIDIA driver: the few calls that name GPUs by index, minor, UUID and model, used to confirm
// the /proc view. Never required (a host without the library is normal) and never used to
// change a GPU's settings.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "isolators/gpu/nvidia_discovery.h"

namespace berth::gpu {

inline constexpr const char* kNvmlLibrary = "libnvidia-ml.so.1";

// The NVML functions berth calls, resolved with dlsym (defined in nvml.cc).
struct NvmlApi;

// One GPU as NVML names it.
struct NvmlGpu {
  uint32_t index = 0;
  uint32_t minor = 0;
  std::string uuid;
  std::string name;
};

class Nvml {
 public:
  // nullopt when `library` is not installed; an error when it is there but unusable
  // (a wrong architecture, a function missing).
  static Result<std::optional<Nvml>> open(const std::string& library = kNvmlLibrary);

  // Every GPU NVML sees, between an nvmlInit_v2 and an nvmlShutdown of its own.
  [[nodiscard]] Result<std::vector<NvmlGpu>> gpus() const;

 private:
  struct Closer {
    void operator()(void* handle) const;
  };
  Nvml(std::unique_ptr<void, Closer> library, std::shared_ptr<const NvmlApi> api)
      : library_(std::move(library)), api_(std::move(api)) {}

  std::unique_ptr<void, Closer> library_;
  std::shared_ptr<const NvmlApi> api_;
};

// Checks the /proc view against NVML's, GPU by device minor, and fills in what /proc left
// out (the model). A minor that NVML reports with another UUID is an error: the two views of
// the host disagree and a container could get the wrong GPU. GPUs that only one side sees
// are left as /proc has them (excluded GPUs are not in /proc's list).
Status reconcile_with_nvml(NvidiaHost& host, const std::vector<NvmlGpu>& nvml);

}  // namespace berth::gpu
