// Listings of a directory tree as text, to compare what berth unpacked with what a peer
// (GNU tar, umoci) unpacked from the same layers: one sorted line per path. Test code only.
#pragma once

#include <string>

namespace berth::integration {

// Type, mode, owner, size of regular files, link target, and (with_mtime) mtime. Directory
// sizes are left out: they depend on the file system, not on the layer.
std::string tree_listing(const std::string& dir, bool with_mtime);

// Regular files' link counts and sha256 of their contents: hard links and bytes.
std::string content_listing(const std::string& dir);

// Every extended attribute of every path (symlinks' own, not their targets'), values in hex.
std::string xattr_listing(const std::string& dir);

}  // namespace berth::integration
