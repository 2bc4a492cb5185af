#include "networking/ipam/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include "common/file.h"

namespace berth::ipam {

Result<UniqueFd> lock_exclusive(const std::string& path) {
  BERTH_ASSIGN(UniqueFd fd, open_path(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Error::from_errno("lock " + path);
  }
  return fd;
}

}  // namespace berth::ipam
