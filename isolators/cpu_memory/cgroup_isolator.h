// What the cpu and memory isolators share: the container's cgroups found from its relative
// path on this host, its limits written through the cgroup driver (v1 or v2), and its usage
// read once per usage() round. Never makes or removes a cgroup: the runtime owns them.
#pragma once

#include "isolators/cgroups/cgroup_set.h"
#include "isolators/cgroups/hierarchy.h"
#include "isolators/isolator.h"

namespace berth::isolators {

class CgroupIsolator : public Isolator {
 public:
  explicit CgroupIsolator(cgroups::HostCgroups host) : host_(std::move(host)) {}

  // The limits this isolator derives from a request, as OCI linux.resources.
  [[nodiscard]] virtual Result<oci::Resources> resources_for(const ContainerConfig& c,
                                                             const ResourceRequest& r) const = 0;

  Status recover(const std::vector<ContainerConfig>& known) override;
  // Validates the request; the limits are written at isolate(), before the user's process runs.
  Status prepare(const ContainerConfig& c, LaunchAdditions& out) override;
  Status isolate(const ContainerConfig& c, pid_t pid) override;
  Status update(const ContainerConfig& c, const ResourceRequest& next) override;
  // Fills Usage::cgroup unless another cgroup isolator already did in this round.
  Status usage(const ContainerConfig& c, Usage& into) override;
  Result<std::optional<Limitation>> check(const ContainerConfig& c) override;
  Status cleanup(const ContainerConfig& c) override;

 protected:
  [[nodiscard]] cgroups::CgroupSet cgroups_of(const ContainerConfig& c) const;
  [[nodiscard]] const cgroups::HostCgroups& host() const { return host_; }

 private:
  Status apply(const ContainerConfig& c, const ResourceRequest& r) const;
  cgroups::HostCgroups host_;
};

}  // namespace berth::isolators
