#include "isolators/disk/du_scanner.h"

#include <sys/stat.h>

#include <unordered_set>

#include "isolators/disk/tree_walk.h"

namespace berth::isolators::disk {
namespace {

// st_blocks counts 512-byte units whatever the file system's block size (stat(2)).
constexpr uint64_t kStatBlockBytes = 512;

}  // namespace

Result<uint64_t> used_bytes(const std::string& dir) {
  uint64_t total = 0;
  // One file system throughout, so the inode number alone names a file.
  std::unordered_set<ino_t> linked;
  auto count = [&](int /*dir_fd*/, const char* /*name*/, const struct stat& st) -> Status {
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !linked.insert(st.st_ino).second) return ok();
    total += static_cast<uint64_t>(st.st_blocks) * kStatBlockBytes;
    return ok();
  };
  BERTH_TRY(walk_tree(dir, count).context("measure disk usage"));
  return total;
}

}  // namespace berth::isolators::disk
