// What the NVIDIA kernel driver shows of the host's GPUs: /proc/driver/nvidia/gpus/*/information,
// the /dev/nvidia* nodes and /proc/devices, all read beneath an injectable root so that tests
// can fake a driver tree. Only reads: never makes nodes, loads modules or talks to NVML.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/oci/spec.h"

namespace berth::gpu {

// The character major of /dev/nvidia<N>, /dev/nvidiactl and /dev/nvidia-modeset. The others
// (nvidia-uvm, nvidia-caps) get a dynamic major: /proc/devices says which.
inline constexpr int64_t kNvidiaMajor = 195;

struct NvidiaGpu {
  std::string uuid;    // "GPU-8d3c…"
  std::string model;   // "NVIDIA H200"
  std::string bus;     // "0000:00:06.0"
  uint32_t minor = 0;  // of /dev/nvidia<minor>
  oci::Device device;  // that node as the host has it
};

struct NvidiaHost {
  std::vector<NvidiaGpu> gpus;       // ordered by minor; excluded GPUs left out
  std::vector<oci::Device> control;  // nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia-modeset: those present
  std::string driver_version;        // "580.159.04"; empty when unknown
};

// One gpus/<bus>/information file: "Key:<tabs>value" lines.
struct GpuInformation {
  std::string model, uuid, bus;
  uint32_t minor = 0;
  bool excluded = false;
};

// `what` names the file in errors; a missing "GPU UUID" or "Device Minor" is an error.
Result<GpuInformation> parse_gpu_information(std::string_view text, std::string_view what);
// Character device majors by name, from the "Character devices:" part of /proc/devices.
std::map<std::string, int64_t> parse_proc_devices(std::string_view text);
// "580.159.04" from /proc/driver/nvidia/version; empty when the text holds no version.
std::string parse_driver_version(std::string_view text);

// The character device `path` ("/dev/nvidia0", as a container sees it) from a stat of
// <root><path>; it must have `expected_major` when one is given. The file mode is the host
// node's.
Result<oci::Device> host_char_device(const std::string& root, const std::string& path,
                                     std::optional<int64_t> expected_major);

// The GPUs and control devices beneath `root` ("/" on a real host). A host without the
// driver (<root>/proc/driver/nvidia absent) has no GPUs: that is not an error. A GPU whose
// node is missing or wrong is.
Result<NvidiaHost> discover_nvidia(const std::string& root);

}  // namespace berth::gpu
