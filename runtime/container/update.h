// update: new cgroup limits for a live container (runc update). Writes the given
// linux.resources into the container's cgroups and nothing else: config.json and the
// container record keep what the container was created with.
#pragma once

#include <string>

#include "common/result.h"
#include "runtime/oci/spec.h"

namespace berth::container {

// Applies `resources` to a created, running or paused container; refuses a stopped one.
// Only the fields set are written; device rules keep the container's own device nodes
// allowed, as at create.
Status update(const std::string& root, const std::string& id, const oci::Resources& resources);

}  // namespace berth::container
