#include "isolators/gpu/gpu_allocator.h"

#include <algorithm>
#include <cstddef>
#include <sstream>
#include <utility>

#include <cereal/archives/json.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "common/file.h"
#include "common/log.h"

namespace berth::gpu {
namespace {

// The state file: {"gpu_allocations": {"version": 1, "holdings": [{"container", "gpus"}]}}.
constexpr uint32_t kStateVersion = 1;

struct Holding {
  std::string container;
  std::vector<std::string> gpus;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(CEREAL_NVP(container), CEREAL_NVP(gpus));
  }
};

struct StateFile {
  uint32_t version = kStateVersion;
  std::vector<Holding> holdings;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(CEREAL_NVP(version), CEREAL_NVP(holdings));
  }
};

// "1 GPU", "2 GPUs", "2 more GPUs".
std::string gpus_word(size_t n, bool more) {
  return std::to_string(n) + (more ? " more" : "") + (n == 1 ? " GPU" : " GPUs");
}

// A GPU a container names must be one this host offers and nobody holds.
Status check_named_gpu(const std::string& who, const std::string& uuid, bool offered, const std::string& holder) {
  if (!offered) return Error(ENODEV, who + " asks for GPU " + uuid + ", which this host does not offer");
  if (!holder.empty()) return Error(EBUSY, who + " asks for GPU " + uuid + ", held by container \"" + holder + "\"");
  return ok();
}

void warn_dropped(const std::string& container, const std::string& uuid, bool offered) {
  log::warn("container \"" + container + "\" held GPU " + uuid +
            (offered ? ", which another container holds too" : ", which this host no longer offers") + ": dropped");
}

}  // namespace

GpuAllocator::GpuAllocator(std::vector<std::string> gpus, std::string state_file)
    : gpus_(std::move(gpus)), state_file_(std::move(state_file)) {}

bool GpuAllocator::is_held(const std::string& uuid) const { return !holder_of(uuid).empty(); }

std::string GpuAllocator::holder_of(const std::string& uuid) const {
  for (const auto& [container, uuids] : held_) {
    if (std::find(uuids.begin(), uuids.end(), uuid) != uuids.end()) return container;
  }
  return {};
}

size_t GpuAllocator::free_count() const {
  return static_cast<size_t>(std::count_if(gpus_.begin(), gpus_.end(), [&](const auto& g) { return !is_held(g); }));
}

std::vector<std::string> GpuAllocator::held_by(const std::string& container) const {
  auto it = held_.find(container);
  return it == held_.end() ? std::vector<std::string>{} : it->second;
}

Result<std::vector<std::string>> GpuAllocator::allocate(const std::string& container, uint32_t count,
                                                        const std::vector<std::string>& named) {
  const std::string who = "container \"" + container + "\"";
  if (held_.contains(container)) return Error(EEXIST, who + " already holds GPUs; clean it up first");
  std::vector<std::string> chosen;
  for (const auto& uuid : named) {
    if (std::find(chosen.begin(), chosen.end(), uuid) != chosen.end()) continue;
    const bool offered = std::find(gpus_.begin(), gpus_.end(), uuid) != gpus_.end();
    BERTH_TRY(check_named_gpu(who, uuid, offered, holder_of(uuid)));
    chosen.push_back(uuid);
  }
  std::vector<std::string> free;
  for (const auto& uuid : gpus_) {
    if (!is_held(uuid) && std::find(chosen.begin(), chosen.end(), uuid) == chosen.end()) free.push_back(uuid);
  }
  if (free.size() < count) {
    return Error(EBUSY, who + " asks for " + gpus_word(count, !chosen.empty()) + "; " + std::to_string(free.size()) +
                            " of " + std::to_string(gpus_.size()) + " free");
  }
  chosen.insert(chosen.end(), free.begin(), free.begin() + static_cast<std::ptrdiff_t>(count));
  if (chosen.empty()) return chosen;
  held_[container] = chosen;
  if (auto saved = save(); !saved) {
    held_.erase(container);
    return std::move(saved).error().context("reserve GPUs for " + who);
  }
  return chosen;
}

Status GpuAllocator::release(const std::string& container) {
  auto it = held_.find(container);
  if (it == held_.end()) return ok();
  auto uuids = std::move(it->second);
  held_.erase(it);
  if (auto saved = save(); !saved) {
    held_[container] = std::move(uuids);
    return std::move(saved).error().context("release the GPUs of container \"" + container + "\"");
  }
  return ok();
}

Status GpuAllocator::recover(const std::set<std::string>& known) {
  BERTH_ASSIGN(auto loaded, load());
  held_.clear();
  bool changed = false;
  for (auto& [container, uuids] : loaded) {
    if (!known.contains(container)) {
      log::info("GPUs of container \"" + container + "\" released: the engine no longer knows it");
      changed = true;
      continue;
    }
    std::vector<std::string> kept;
    for (auto& uuid : uuids) {
      const bool offered = std::find(gpus_.begin(), gpus_.end(), uuid) != gpus_.end();
      if (!offered || is_held(uuid) || std::find(kept.begin(), kept.end(), uuid) != kept.end()) {
        warn_dropped(container, uuid, offered);
        changed = true;
        continue;
      }
      kept.push_back(std::move(uuid));
    }
    if (!kept.empty()) held_[container] = std::move(kept);
  }
  if (changed) BERTH_TRY(save().context("recover GPU holdings"));
  return ok();
}

Status GpuAllocator::save() const {
  StateFile state;
  for (const auto& [container, uuids] : held_) state.holdings.push_back(Holding{container, uuids});
  std::ostringstream out;
  try {
    cereal::JSONOutputArchive ar(out);
    ar(cereal::make_nvp("gpu_allocations", state));
  } catch (const std::exception& e) {
    return Error(EIO, std::string("serialize GPU holdings: ") + e.what());
  }
  return write_file_atomic(state_file_, out.str(), 0600);
}

Result<std::map<std::string, std::vector<std::string>>> GpuAllocator::load() const {
  std::map<std::string, std::vector<std::string>> held;
  auto text = read_file(state_file_);
  if (!text) {
    if (text.error().code() == ENOENT) return held;
    return std::move(text).error();
  }
  StateFile state;
  try {
    std::istringstream in(*text);
    cereal::JSONInputArchive ar(in);
    ar(cereal::make_nvp("gpu_allocations", state));
  } catch (const std::exception& e) {
    return Error(EINVAL, "read " + state_file_ + ": " + e.what());
  }
  if (state.version > kStateVersion) {
    return Error(EINVAL, state_file_ + ": version " + std::to_string(state.version) +
                             " is newer than this berth understands (" + std::to_string(kStateVersion) + ")");
  }
  for (auto& h : state.holdings) held[h.container] = std::move(h.gpus);
  return held;
}

}  // namespace berth::gpu
