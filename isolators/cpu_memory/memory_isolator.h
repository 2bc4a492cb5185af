// Mesos' cgroups/mem isolator: `mem` is a hard limit (swap included where the host accounts
// swap, so that a container over it is OOM-killed rather than swapped), the soft limit a
// reservation (v2 memory.low). check() reports a container the kernel's OOM killer struck,
// with the reason kubelet and Mesos use. Never kills anything itself.
#pragma once

#include <map>
#include <string>

#include "isolators/cgroups/oom_watch.h"
#include "isolators/cpu_memory/cgroup_isolator.h"

namespace berth::isolators {

class MemoryIsolator final : public CgroupIsolator {
 public:
  struct Options {
    bool limit_swap = true;
  };
  explicit MemoryIsolator(cgroups::HostCgroups host) : MemoryIsolator(std::move(host), Options{}) {}
  MemoryIsolator(cgroups::HostCgroups host, Options options) : CgroupIsolator(std::move(host)), options_(options) {}

  [[nodiscard]] std::string_view name() const override { return "cgroups/mem"; }
  [[nodiscard]] Result<oci::Resources> resources_for(const ContainerConfig& c, const ResourceRequest& r) const override;

  Status isolate(const ContainerConfig& c, pid_t pid) override;
  Result<std::optional<Limitation>> check(const ContainerConfig& c) override;
  Status cleanup(const ContainerConfig& c) override;
  // Readable when the container may have hit an OOM (for the engine's poll loop); -1 when
  // not watched (not isolated by this process, or the host offers no event).
  [[nodiscard]] int oom_fd(const std::string& id) const;

  static constexpr uint64_t kMinBytes = 32ULL << 20;  // Mesos' MIN_MEMORY
  static constexpr const char* kOomReason = "OOMKilled";

 private:
  // Whether the host counts swap per cgroup (v1 memsw files, v2 memory.swap.max).
  [[nodiscard]] bool accounts_swap(const ContainerConfig& c) const;

  Options options_;
  std::map<std::string, cgroups::OomWatch> watches_;  // by container id, from isolate()
  std::map<std::string, Limitation> struck_;          // containers already found OOM-killed
};

}  // namespace berth::isolators
