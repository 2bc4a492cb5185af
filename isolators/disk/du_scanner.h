// Mesos' disk/du for file systems without project quotas: how many bytes a directory tree
// holds on disk. It must never follow a symlink, cross into another mount, or count a
// hard-linked file twice; it reads only, and never changes what it scans.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace berth::isolators::disk {

// The allocated size of `dir` and everything under it: the sum of st_blocks * 512, as
// `du -sx --block-size=1` counts it.
Result<uint64_t> used_bytes(const std::string& dir);

}  // namespace berth::isolators::disk
