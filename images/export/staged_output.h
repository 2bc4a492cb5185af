// An export's output while it is being written: a temp file or directory beside the target,
// fsynced and renamed onto the target only when complete, and removed by the destructor
// otherwise. So a failed or interrupted export never leaves a half-written archive or layout
// under the target's name (a crash may leave a ".berth-export-*" temp beside it).
#pragma once

#include <string>
#include <utility>

#include "common/fd.h"
#include "common/result.h"

namespace berth::images {

class StagedOutput {
 public:
  // A temp file in the target's directory; fd() writes to it.
  static Result<StagedOutput> file(const std::string& target);
  // A temp directory in the target's directory; path() is where to write.
  static Result<StagedOutput> directory(const std::string& target);

  StagedOutput(StagedOutput&& other) noexcept
      : target_(std::move(other.target_)),
        path_(std::exchange(other.path_, std::string())),
        fd_(std::move(other.fd_)),
        is_directory_(other.is_directory_) {}
  StagedOutput& operator=(StagedOutput&&) = delete;
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;
  ~StagedOutput();

  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }

  // fsync (a directory's files are the writer's to fsync), rename onto the target, fsync the
  // parent directory. A file replaces an existing target; a directory replaces only an empty
  // one.
  Status commit();

 private:
  StagedOutput(std::string target, std::string path, UniqueFd fd, bool is_directory)
      : target_(std::move(target)), path_(std::move(path)), fd_(std::move(fd)), is_directory_(is_directory) {}

  std::string target_;
  std::string path_;  // "" once committed (or moved from)
  UniqueFd fd_;
  bool is_directory_ = false;
};

}  // namespace berth::images
