// Inside the unpacker: making one tar entry beneath an open parent directory. Every call
// takes a directory fd and a single name, and never follows a symlink in that name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "images/unpack/layer_unpacker.h"
#include "images/unpack/tar_reader.h"

namespace berth::images::detail {

// "a/./b//c/" -> "a/b/c"; "" for the root. Absolute paths and ".." are refused: a layer
// names paths relative to its root and has no business climbing.
Result<std::string> clean_entry_path(std::string_view raw);

// Whether a relative symlink target, read from the entry's directory `dir` (a cleaned
// path), climbs above the layer root ("../../x" from "a"). Such links are refused, as
// moby does: inside the root they would be clamped, so a layer only has them to attack.
bool climbs_out_of_root(const std::string& dir, std::string_view target);

// The names in a directory, without "." and "..".
Result<std::vector<std::string>> children_of(int dir_fd);

// Removes `name` in `dir_fd`, a whole tree when it is a directory (never following links).
Status remove_at(int dir_fd, const std::string& name);

// Makes way for an entry called `name`: an existing directory stays when the entry is one
// too (its contents merge), anything else already there goes.
Status make_room(int dir_fd, const std::string& name, bool entry_is_dir);

// Creates the entry (reading a regular file's data from `tar`) and sets its owner, mode,
// xattrs and, except for directories, its times.
Status create_entry(TarReader& tar, const TarEntry& e, int root_fd, int parent_fd, const std::string& name,
                    const UnpackPolicy& policy);

// Owner and mode of the layer root itself (a "./" entry).
Status set_root_metadata(const TarEntry& e, int root_fd, const UnpackPolicy& policy);

}  // namespace berth::images::detail
