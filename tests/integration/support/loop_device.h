// A loop block device over a sparse file in a test's temp dir, attached with
// `losetup --find --show` and detached by its exact name when the test ends. Test code only.
#pragma once

#include <sys/types.h>

#include <string>

namespace berth::integration {

class LoopDevice {
 public:
  // A `size_bytes` file at `backing_file`, attached; error() says why when it could not be.
  LoopDevice(const std::string& backing_file, off_t size_bytes);
  ~LoopDevice();
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] const std::string& path() const { return path_; }  // /dev/loopN
  [[nodiscard]] unsigned major() const { return major_; }
  [[nodiscard]] unsigned minor() const { return minor_; }

 private:
  std::string error_;
  std::string path_;
  unsigned major_ = 0, minor_ = 0;
};

}  // namespace berth::integration
