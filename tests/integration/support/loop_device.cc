#include "tests/integration/support/loop_device.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/fd.h"
#include "common/strings.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {

LoopDevice::LoopDevice(const std::string& backing_file, off_t size_bytes) {
  UniqueFd fd(::open(backing_file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!fd || ::ftruncate(fd.get(), size_bytes) != 0) {
    error_ = "make " + backing_file + ": " + std::strerror(errno);
    return;
  }
  RunResult r = run_cmd({"losetup", "--find", "--show", backing_file});
  if (!r.ok()) {
    std::ostringstream msg;
    msg << "no loop device: " << r;
    error_ = msg.str();
    return;
  }
  path_ = std::string(trim(r.out));
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) {
    error_ = path_ + ": not a block device";
    return;
  }
  major_ = ::major(st.st_rdev);
  minor_ = ::minor(st.st_rdev);
}

LoopDevice::~LoopDevice() {
  if (!path_.empty()) run_cmd({"losetup", "--detach", path_});
}

}  // namespace berth::integration
