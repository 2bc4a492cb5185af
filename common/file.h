// Small file helpers that report failures as Result values naming the path.
// Atomic writes go through a temp file, fsync, rename and a directory fsync.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"
#include "common/result.h"

namespace berth {

Result<std::string> read_file(const std::string& path);
Result<std::string> read_fd(int fd);
// Writes the whole of `data` to an existing or new file (O_TRUNC).
Status write_file(const std::string& path, std::string_view data, mode_t mode = 0644);
// Writes without O_CREAT/O_TRUNC: for kernel files (cgroupfs, procfs, sysfs).
Status write_existing(const std::string& path, std::string_view data);
// kVolatile skips the fsyncs: for state that lives in /run and dies with the boot anyway.
enum class Durability { kDurable, kVolatile };
// Replaces `path` atomically: temp file in the same directory, fsync, rename, fsync dir.
Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                         Durability durability = Durability::kDurable);
// The same for the file `name` (no '/') inside the directory `dir_fd` (O_PATH will do): for
// directories reached by fd, such as a container rootfs's /etc resolved beneath its root.
Status write_file_atomic_at(int dir_fd, const std::string& name, std::string_view data, mode_t mode = 0644,
                            Durability durability = Durability::kDurable);
// write(2) until everything is written, retrying on EINTR.
Status write_all(int fd, std::string_view data, std::string_view what);
// pwrite(2) of all of `data` at `offset` (the fd's own offset is untouched).
Status pwrite_all(int fd, std::string_view data, uint64_t offset, std::string_view what);

Result<UniqueFd> open_path(const std::string& path, int flags, mode_t mode = 0);
// fsync(2) of the directory `dir`: makes the names just created or renamed in it durable.
Status fsync_dir(const std::string& dir);
Status mkdir_p(const std::string& path, mode_t mode = 0755);
// Removes a directory tree without crossing into other file systems.
Status remove_tree(const std::string& path);
Result<std::vector<std::string>> list_dir(const std::string& path);
bool path_exists(const std::string& path);

std::string path_join(std::string_view a, std::string_view b);
std::string dirname_of(std::string_view path);
std::string basename_of(std::string_view path);
// An absolute path for `path`, relative ones taken from the current directory.
Result<std::string> absolute_path(const std::string& path);

}  // namespace berth
