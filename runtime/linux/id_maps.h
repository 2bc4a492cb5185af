// User namespace id mappings: writing them for a process, and user namespaces made only
// to carry a mapping (what an idmapped mount is given).
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/fd.h"
#include "common/result.h"
#include "runtime/oci/spec.h"

namespace berth::rt {

// Writes /proc/<pid>/uid_map and gid_map ("containerID hostID size" per line).
Status write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uids, const std::vector<oci::IdMapping>& gids);

// A user namespace with these mappings, held by an fd (its short-lived holder process is
// gone when this returns).
Result<UniqueFd> make_mapped_user_namespace(const std::vector<oci::IdMapping>& uids,
                                            const std::vector<oci::IdMapping>& gids);

}  // namespace berth::rt
