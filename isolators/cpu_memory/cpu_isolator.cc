#include "isolators/cpu_memory/cpu_isolator.h"

#include <algorithm>
#include <cmath>

namespace berth::isolators {

Result<oci::Resources> CpuIsolator::resources_for(const ContainerConfig& c, const ResourceRequest& r) const {
  oci::Resources out;
  if (!r.cpus) return out;
  const double cpus = *r.cpus;
  if (!std::isfinite(cpus) || cpus <= 0) {
    return Error(EINVAL,
                 "container \"" + c.id + "\": cpus must be a positive number of cores, not " + std::to_string(cpus));
  }
  if (cpus > 1e6) return Error(EINVAL, "container \"" + c.id + "\": cpus " + std::to_string(cpus) + " is too large");
  oci::Resources::Cpu cpu;
  cpu.shares = std::max(kMinShares, static_cast<uint64_t>(cpus * static_cast<double>(kSharesPerCpu)));
  if (r.cpu_hard_limit || options_.quota_for_all) {
    const auto period = options_.cfs_period.count();
    cpu.period = static_cast<uint64_t>(period);
    cpu.quota = std::max<int64_t>(kMinQuota.count(), static_cast<int64_t>(cpus * static_cast<double>(period)));
  }
  out.cpu = cpu;
  return out;
}

}  // namespace berth::isolators
