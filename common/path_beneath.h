// Resolution of paths inside a root directory (a container rootfs, an image layer being
// unpacked) that can never leave it: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so
// `..`, absolute symlinks and magic links all stay beneath the root. Never string-concatenate.
#pragma once

#include <string>

#include "common/fd.h"
#include "common/result.h"

namespace berth {

// openat2 beneath `root_fd` with `flags` (O_CLOEXEC added); "" is the root itself.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags);

// Opens `path` beneath `root_fd` (never escaping it), creating missing directories and,
// with create_file, a last component that is a file. Returns an O_PATH fd.
Result<UniqueFd> open_beneath(int root_fd, const std::string& path, bool create, bool create_file);

// "/proc/self/fd/N": a path that mount(2), chmod(2) or setxattr(2) can take for an fd.
std::string fd_path(int fd);

}  // namespace berth
