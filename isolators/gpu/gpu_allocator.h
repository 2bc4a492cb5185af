// Which container holds which whole GPU: exclusive, all-or-nothing grants kept in a versioned
// JSON state file, so that a restarted engine gets them back. Knows GPUs only by UUID; never
// touches device nodes, cgroups or a container's spec, and never shares a GPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::gpu {

class GpuAllocator {
 public:
  // `gpus`: the UUIDs this host can give, in the order they are handed out. Holdings are
  // saved to `state_file` (its directory must exist) after every change.
  GpuAllocator(std::vector<std::string> gpus, std::string state_file);

  // Gives `container` the GPUs `named` (by UUID) and `count` more free ones, all or nothing,
  // and saves; returns every GPU it now holds. Refuses, holding nothing new, when a named GPU
  // is held or unknown, when fewer than `count` are free, or when the container already
  // holds GPUs.
  Result<std::vector<std::string>> allocate(const std::string& container, uint32_t count,
                                            const std::vector<std::string>& named = {});
  // Frees what `container` holds; nothing to free is not an error.
  Status release(const std::string& container);
  // Loads the state file (none: nothing held) and keeps the holdings of `known` containers;
  // those of any other container are freed, as are GPUs this host no longer has.
  Status recover(const std::set<std::string>& known);

  [[nodiscard]] std::vector<std::string> held_by(const std::string& container) const;
  [[nodiscard]] size_t free_count() const;
  [[nodiscard]] size_t total() const { return gpus_.size(); }
  [[nodiscard]] const std::string& state_file() const { return state_file_; }

 private:
  [[nodiscard]] bool is_held(const std::string& uuid) const;
  [[nodiscard]] std::string holder_of(const std::string& uuid) const;
  [[nodiscard]] Status save() const;
  [[nodiscard]] Result<std::map<std::string, std::vector<std::string>>> load() const;

  std::vector<std::string> gpus_;
  std::string state_file_;
  std::map<std::string, std::vector<std::string>> held_;  // container id -> UUIDs
};

}  // namespace berth::gpu
