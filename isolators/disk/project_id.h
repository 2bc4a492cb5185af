// The XFS project id that files carry (FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR): read on one
// directory, set on a whole tree. It must never follow a symlink, cross a mount, or open a
// device, fifo or socket a container left in its sandbox.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace berth::isolators::disk {

// The project id of the directory `dir`.
Result<uint32_t> project_id_of(const std::string& dir);

// Gives `dir` and everything already in it project `id`, and marks its directories
// PROJINHERIT so that what is made in them later gets `id` too. id 0 clears both.
// Symlinks and special files keep their id: they cannot be opened without side effects,
// and they hold (almost) no blocks.
Status set_project_id_tree(const std::string& dir, uint32_t id);

}  // namespace berth::isolators::disk
