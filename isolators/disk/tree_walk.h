// Visits every entry of a directory tree that a container may have filled: fd-relative, one
// directory fd open at a time, on the root's file system only. It must never follow a
// symlink, cross into another mount, or grow the stack or the fd table with the tree's depth.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>

#include "common/result.h"

namespace berth::isolators::disk {

// Called once per entry with the directory fd holding it, its name there and its lstat; the
// root comes first as (root fd, "."). An error stops the walk.
using TreeVisitor = std::function<Status(int dir_fd, const char* name, const struct stat& st)>;

// Entries that vanish while the walk runs are skipped; a directory moved out from under the
// walk stops it with an error (the caller may simply walk again).
Status walk_tree(const std::string& root, const TreeVisitor& visit);

}  // namespace berth::isolators::disk
