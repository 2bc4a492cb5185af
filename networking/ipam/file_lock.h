// An exclusive flock on a lock file, held for as long as the returned fd lives: how berth's
// networking state (IPAM records, the nftables table) is changed by one process at a time.
#pragma once

#include <string>

#include "common/fd.h"
#include "common/result.h"

namespace berth::ipam {

// Opens (creating, mode 0600) and locks `path`, waiting for another holder to let go.
Result<UniqueFd> lock_exclusive(const std::string& path);

}  // namespace berth::ipam
