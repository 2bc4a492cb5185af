// Writes OCI linux.resources into a container's cgroups: the v1 controller files on v1 and
// hybrid hosts, their v2 equivalents (with the standard conversions) on v2 hosts.
// Values are written in the order the kernel needs (period before quota, memory before
// memory+swap); an error names the file and the value the kernel refused.
#pragma once

#include <vector>

#include "common/result.h"
#include "isolators/cgroups/cgroup_set.h"
#include "runtime/oci/spec.h"

namespace berth::cgroups {

// `devices` are the container's device nodes (linux.devices): when the rules deny by
// default, they and the standard devices (null, zero, full, random, urandom, tty, ptmx,
// pts) stay allowed, as runc does.
Status apply_resources(const CgroupSet& set, const oci::Resources& resources, const std::vector<oci::Device>& devices);

// The cgroup v2 conversions (as in the runtime-spec's cgroup v2 document).
uint64_t shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);

}  // namespace berth::cgroups
