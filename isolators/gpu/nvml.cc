#include "isolators/gpu/nvml.h"

#include <dlfcn.h>

#include <cerrno>
#include <string_view>
#include <utility>

namespace berth::gpu {

// NVML's C interface, declared here because berth builds without NVIDIA's headers. An
// nvmlReturn_t is an int (0: success); an nvmlDevice_t an opaque pointer.
struct NvmlApi {
  using Return = int;
  using Device = void*;
  Return (*init)() = nullptr;                                  // nvmlInit_v2
  Return (*shutdown)() = nullptr;                              // nvmlShutdown
  Return (*count)(unsigned int*) = nullptr;                    // nvmlDeviceGetCount_v2
  Return (*handle_by_index)(unsigned int, Device*) = nullptr;  // nvmlDeviceGetHandleByIndex_v2
  Return (*uuid)(Device, char*, unsigned int) = nullptr;       // nvmlDeviceGetUUID
  Return (*minor)(Device, unsigned int*) = nullptr;            // nvmlDeviceGetMinorNumber
  Return (*name)(Device, char*, unsigned int) = nullptr;       // nvmlDeviceGetName
  const char* (*error_string)(Return) = nullptr;               // nvmlErrorString

  [[nodiscard]] Error error(std::string_view call, Return r) const {
    std::string text = error_string != nullptr ? error_string(r) : "error";
    return Error(EIO, "NVML " + std::string(call) + ": " + text + " (" + std::to_string(r) + ")");
  }
};

namespace {

// NVML_DEVICE_UUID_V2_BUFFER_SIZE and NVML_DEVICE_NAME_V2_BUFFER_SIZE.
constexpr unsigned int kTextBuffer = 96;

template <class Fn>
Status bind_symbol(void* library, const char* symbol, Fn& into) {
  void* p = ::dlsym(library, symbol);
  if (p == nullptr) return Error(ENOSYS, std::string(kNvmlLibrary) + ": no function " + symbol);
  into = reinterpret_cast<Fn>(p);  // NOLINT: dlsym hands out functions as void*
  return ok();
}

// Ends the nvmlInit_v2 it was given when it goes away.
class NvmlSession {
 public:
  explicit NvmlSession(NvmlApi::Return (*shutdown)()) : shutdown_(shutdown) {}
  ~NvmlSession() { shutdown_(); }
  NvmlSession(const NvmlSession&) = delete;
  NvmlSession& operator=(const NvmlSession&) = delete;

 private:
  NvmlApi::Return (*shutdown_)();
};

}  // namespace

void Nvml::Closer::operator()(void* handle) const {
  if (handle != nullptr) ::dlclose(handle);
}

Result<std::optional<Nvml>> Nvml::open(const std::string& library) {
  ::dlerror();
  std::unique_ptr<void, Closer> handle(::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!handle) {
    const char* why = ::dlerror();
    const std::string text = why != nullptr ? why : "unknown dlopen error";
    // Not installed: the normal case on a host without the NVIDIA driver.
    if (text.find("cannot open shared object file") != std::string::npos) return std::optional<Nvml>{};
    return Error(ELIBBAD, "dlopen " + library + ": " + text);
  }
  auto api = std::make_shared<NvmlApi>();
  void* h = handle.get();
  BERTH_TRY(bind_symbol(h, "nvmlInit_v2", api->init));
  BERTH_TRY(bind_symbol(h, "nvmlShutdown", api->shutdown));
  BERTH_TRY(bind_symbol(h, "nvmlDeviceGetCount_v2", api->count));
  BERTH_TRY(bind_symbol(h, "nvmlDeviceGetHandleByIndex_v2", api->handle_by_index));
  BERTH_TRY(bind_symbol(h, "nvmlDeviceGetUUID", api->uuid));
  BERTH_TRY(bind_symbol(h, "nvmlDeviceGetMinorNumber", api->minor));
  BERTH_TRY(bind_symbol(h, "nvmlDeviceGetName", api->name));
  BERTH_TRY(bind_symbol(h, "nvmlErrorString", api->error_string));
  return std::optional<Nvml>(Nvml(std::move(handle), std::move(api)));
}

Result<std::vector<NvmlGpu>> Nvml::gpus() const {
  const NvmlApi& api = *api_;
  if (auto r = api.init(); r != 0) return api.error("nvmlInit_v2", r);
  NvmlSession session(api.shutdown);
  unsigned int count = 0;
  if (auto r = api.count(&count); r != 0) return api.error("nvmlDeviceGetCount_v2", r);
  std::vector<NvmlGpu> out;
  for (unsigned int i = 0; i < count; ++i) {
    const std::string where = " of GPU " + std::to_string(i);
    NvmlApi::Device device = nullptr;
    if (auto r = api.handle_by_index(i, &device); r != 0) return api.error("nvmlDeviceGetHandleByIndex_v2" + where, r);
    NvmlGpu gpu;
    gpu.index = i;
    char text[kTextBuffer] = {};
    if (auto r = api.uuid(device, text, kTextBuffer); r != 0) return api.error("nvmlDeviceGetUUID" + where, r);
    gpu.uuid = text;
    if (auto r = api.minor(device, &gpu.minor); r != 0) return api.error("nvmlDeviceGetMinorNumber" + where, r);
    char name[kTextBuffer] = {};
    if (auto r = api.name(device, name, kTextBuffer); r != 0) return api.error("nvmlDeviceGetName" + where, r);
    gpu.name = name;
    out.push_back(std::move(gpu));
  }
  return out;
}

Status reconcile_with_nvml(NvidiaHost& host, const std::vector<NvmlGpu>& nvml) {
  for (auto& gpu : host.gpus) {
    for (const auto& seen : nvml) {
      if (seen.minor != gpu.minor) continue;
      if (seen.uuid != gpu.uuid) {
        return Error(EIO, "GPU minor " + std::to_string(gpu.minor) + ": /proc/driver/nvidia says " + gpu.uuid +
                              ", NVML says " + seen.uuid);
      }
      if (gpu.model.empty()) gpu.model = seen.name;
    }
  }
  return ok();
}

}  // namespace berth::gpu
