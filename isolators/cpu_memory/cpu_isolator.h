// Mesos' cgroups/cpu isolator: `cpus` (fractional cores) become CPU shares (1024 a core,
// v2 weight by the standard conversion) and, when the container or the node asks for a hard
// limit, a CFS quota of cpus x period. Never touches any other controller.
#pragma once

#include <chrono>

#include "isolators/cpu_memory/cgroup_isolator.h"

namespace berth::isolators {

class CpuIsolator final : public CgroupIsolator {
 public:
  struct Options {
    std::chrono::microseconds cfs_period{100'000};
    bool quota_for_all = false;  // a hard limit for every container (Mesos --cgroups_enable_cfs)
  };
  explicit CpuIsolator(cgroups::HostCgroups host) : CpuIsolator(std::move(host), Options{}) {}
  CpuIsolator(cgroups::HostCgroups host, Options options) : CgroupIsolator(std::move(host)), options_(options) {}

  [[nodiscard]] std::string_view name() const override { return "cgroups/cpu"; }
  [[nodiscard]] Result<oci::Resources> resources_for(const ContainerConfig& c, const ResourceRequest& r) const override;

  static constexpr uint64_t kSharesPerCpu = 1024;
  static constexpr uint64_t kMinShares = 2;
  static constexpr std::chrono::microseconds kMinQuota{1000};

 private:
  Options options_;
};

}  // namespace berth::isolators
