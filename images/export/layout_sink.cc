#include "images/export/layout_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"

namespace berth::images {

Status DirectorySink::add_directory(std::string_view name) {
  std::string path = path_join(root_, name);
  if (::mkdir(path.c_str(), 0755) != 0) return Error::from_errno("mkdir " + path);
  directories_.push_back(std::move(path));
  return ok();
}

Result<uint64_t> DirectorySink::add_file(std::string_view name, const ByteReader& data) {
  std::string path = path_join(root_, name);
  BERTH_ASSIGN(UniqueFd fd, open_path(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644));
  BERTH_ASSIGN(uint64_t size, copy_to_fd(data, fd.get(), 0, path));
  if (::fsync(fd.get()) != 0) return Error::from_errno("fsync " + path);
  return size;
}

Status DirectorySink::finish() {
  for (const std::string& dir : directories_) {
    BERTH_ASSIGN(UniqueFd fd, open_path(dir, O_RDONLY | O_DIRECTORY));
    if (::fsync(fd.get()) != 0) return Error::from_errno("fsync " + dir);
  }
  return ok();
}

}  // namespace berth::images
