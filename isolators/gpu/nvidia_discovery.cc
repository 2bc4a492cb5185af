#include "isolators/gpu/nvidia_discovery.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"

namespace berth::gpu {
namespace {

constexpr std::string_view kDriverDir = "/proc/driver/nvidia";

bool looks_like_version(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front())) == 0) return false;
  if (s.find('.') == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == '.' || std::isdigit(static_cast<unsigned char>(c)); });
}

// Reads one gpus/<bus> directory; nullopt for a GPU the driver marks excluded.
Result<std::optional<NvidiaGpu>> read_gpu(const std::string& root, const std::string& bus_dir_name) {
  const std::string file = path_join(root, std::string(kDriverDir) + "/gpus/" + bus_dir_name + "/information");
  BERTH_ASSIGN(auto text, read_file(file));
  BERTH_ASSIGN(GpuInformation info, parse_gpu_information(text, file));
  if (info.excluded) {
    log::info("GPU " + info.uuid + " at " + bus_dir_name + " is excluded by the driver: not offered");
    return std::optional<NvidiaGpu>{};
  }
  NvidiaGpu gpu{info.uuid, info.model, info.bus.empty() ? bus_dir_name : info.bus, info.minor, {}};
  const std::string node = "/dev/nvidia" + std::to_string(info.minor);
  auto device = host_char_device(root, node, kNvidiaMajor);
  if (!device) {
    return std::move(device).error().context("GPU " + gpu.uuid + " at " + gpu.bus + " (device minor " +
                                             std::to_string(gpu.minor) + ")");
  }
  gpu.device = std::move(device).value();
  return std::optional<NvidiaGpu>(std::move(gpu));
}

Result<std::vector<NvidiaGpu>> read_gpus(const std::string& root) {
  const std::string dir = path_join(root, std::string(kDriverDir) + "/gpus");
  std::vector<NvidiaGpu> gpus;
  if (!path_exists(dir)) return gpus;
  BERTH_ASSIGN(auto names, list_dir(dir));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    BERTH_ASSIGN(auto gpu, read_gpu(root, name));
    if (gpu) gpus.push_back(std::move(*gpu));
  }
  std::sort(gpus.begin(), gpus.end(), [](const NvidiaGpu& a, const NvidiaGpu& b) { return a.minor < b.minor; });
  std::set<std::string> uuids;
  for (size_t i = 0; i < gpus.size(); ++i) {
    if (i > 0 && gpus[i].minor == gpus[i - 1].minor) {
      return Error(EINVAL, dir + ": GPUs " + gpus[i - 1].bus + " and " + gpus[i].bus + " both claim device minor " +
                               std::to_string(gpus[i].minor));
    }
    if (!uuids.insert(gpus[i].uuid).second) return Error(EINVAL, dir + ": GPU UUID " + gpus[i].uuid + " listed twice");
  }
  return gpus;
}

// A control node that may be absent (nullopt); when present it must be right.
Result<std::optional<oci::Device>> optional_node(const std::string& root, const std::string& path,
                                                 std::optional<int64_t> expected_major) {
  struct stat st {};
  const std::string host = path_join(root, path);
  if (::lstat(host.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<oci::Device>{};
    return Error::from_errno("stat " + host);
  }
  BERTH_ASSIGN(oci::Device d, host_char_device(root, path, expected_major));
  return std::optional<oci::Device>(std::move(d));
}

Result<std::vector<oci::Device>> read_control_devices(const std::string& root, bool need_ctl) {
  std::map<std::string, int64_t> majors;
  if (auto text = read_file(path_join(root, "/proc/devices"))) majors = parse_proc_devices(*text);
  auto dynamic = [&](const std::string& name) -> std::optional<int64_t> {
    auto it = majors.find(name);
    if (it == majors.end()) return std::nullopt;
    return it->second;
  };
  std::vector<oci::Device> out;
  if (need_ctl) {
    BERTH_ASSIGN(oci::Device ctl, host_char_device(root, "/dev/nvidiactl", kNvidiaMajor));
    out.push_back(std::move(ctl));
  }
  const std::pair<const char*, std::optional<int64_t>> nodes[] = {
      {"/dev/nvidia-uvm", dynamic("nvidia-uvm")},
      {"/dev/nvidia-uvm-tools", dynamic("nvidia-uvm")},
      {"/dev/nvidia-modeset", kNvidiaMajor},
  };
  for (const auto& [path, expected_major] : nodes) {
    BERTH_ASSIGN(auto d, optional_node(root, path, expected_major));
    if (d) out.push_back(std::move(*d));
  }
  return out;
}

}  // namespace

Result<GpuInformation> parse_gpu_information(std::string_view text, std::string_view what) {
  GpuInformation info;
  bool have_minor = false;
  for (const auto& line : split(text, '\n')) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string_view key = trim(std::string_view(line).substr(0, colon));
    const std::string value(trim(std::string_view(line).substr(colon + 1)));
    if (key == "Model") {
      info.model = value;
    } else if (key == "GPU UUID") {
      info.uuid = value;
    } else if (key == "Bus Location") {
      info.bus = value;
    } else if (key == "GPU Excluded") {
      info.excluded = value == "Yes";
    } else if (key == "Device Minor") {
      auto minor = parse_uint(value);
      // 254 and 255 are nvidia-modeset and nvidiactl.
      if (!minor || *minor >= 254) {
        return Error(EINVAL, std::string(what) + ": Device Minor \"" + value + "\" is not a GPU minor");
      }
      info.minor = static_cast<uint32_t>(*minor);
      have_minor = true;
    }
  }
  if (info.uuid.empty()) return Error(EINVAL, std::string(what) + ": no \"GPU UUID\" line");
  if (!have_minor) return Error(EINVAL, std::string(what) + ": no \"Device Minor\" line");
  return info;
}

std::map<std::string, int64_t> parse_proc_devices(std::string_view text) {
  std::map<std::string, int64_t> majors;
  bool in_char = false;
  for (const auto& raw : split(text, '\n')) {
    const std::string_view line = trim(raw);
    if (line.ends_with("devices:")) {
      in_char = line == "Character devices:";
      continue;
    }
    if (!in_char || line.empty()) continue;
    const auto space = line.find(' ');
    if (space == std::string_view::npos) continue;
    auto number = parse_int(line.substr(0, space));
    if (number) majors.emplace(std::string(trim(line.substr(space + 1))), *number);
  }
  return majors;
}

std::string parse_driver_version(std::string_view text) {
  // "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (…)"
  const std::string first_line(text.substr(0, text.find('\n')));
  for (const auto& word : split(first_line, ' ')) {
    if (looks_like_version(word)) return word;
  }
  return {};
}

Result<oci::Device> host_char_device(const std::string& root, const std::string& path,
                                     std::optional<int64_t> expected_major) {
  const std::string host = path_join(root, path);
  struct stat st {};
  if (::stat(host.c_str(), &st) != 0) {
    if (errno == ENOENT) return Error(ENOENT, host + ": missing (the driver's device node was not made)");
    return Error::from_errno("stat " + host);
  }
  if (!S_ISCHR(st.st_mode)) return Error(ENODEV, host + ": not a character device");
  const auto dev_major = static_cast<int64_t>(major(st.st_rdev));
  if (expected_major && dev_major != *expected_major) {
    return Error(ENODEV, host + ": character device " + std::to_string(dev_major) + ":" +
                             std::to_string(minor(st.st_rdev)) + ", expected major " + std::to_string(*expected_major) +
                             " (a stale node?)");
  }
  oci::Device d;
  d.path = path;
  d.type = 'c';
  d.major = dev_major;
  d.minor = static_cast<int64_t>(minor(st.st_rdev));
  d.file_mode = st.st_mode & 07777;
  return d;
}

Result<NvidiaHost> discover_nvidia(const std::string& root) {
  NvidiaHost host;
  if (!path_exists(path_join(root, kDriverDir))) return host;
  BERTH_ASSIGN(host.gpus, read_gpus(root));
  BERTH_ASSIGN(host.control, read_control_devices(root, !host.gpus.empty()));
  if (auto text = read_file(path_join(root, std::string(kDriverDir) + "/version"))) {
    host.driver_version = parse_driver_version(*text);
  }
  return host;
}

}  // namespace berth::gpu
