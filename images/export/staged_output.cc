#include "images/export/staged_output.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/file.h"

namespace berth::images {
namespace {

// "<dir of target>/.berth-export-<name>-XXXXXX": the same file system, so rename is atomic.
std::string temp_template(const std::string& target) {
  return path_join(dirname_of(target), ".berth-export-" + basename_of(target) + "-XXXXXX");
}

}  // namespace

Result<StagedOutput> StagedOutput::file(const std::string& target) {
  std::string tmpl = temp_template(target);
  int raw = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (raw < 0) return Error::from_errno("create a temp file beside " + target);
  UniqueFd fd(raw);
  if (::fchmod(fd.get(), 0644) != 0) {
    int e = errno;
    ::unlink(tmpl.c_str());
    return Error::from_errno("chmod " + tmpl, e);
  }
  return StagedOutput(target, tmpl, std::move(fd), false);
}

Result<StagedOutput> StagedOutput::directory(const std::string& target) {
  std::string tmpl = temp_template(target);
  if (::mkdtemp(tmpl.data()) == nullptr) return Error::from_errno("create a temp directory beside " + target);
  if (::chmod(tmpl.c_str(), 0755) != 0) {
    int e = errno;
    ::rmdir(tmpl.c_str());
    return Error::from_errno("chmod " + tmpl, e);
  }
  return StagedOutput(target, tmpl, UniqueFd(), true);
}

StagedOutput::~StagedOutput() {
  if (path_.empty()) return;
  if (is_directory_) {
    (void)remove_tree(path_);
  } else {
    ::unlink(path_.c_str());
  }
}

Status StagedOutput::commit() {
  if (is_directory_) {
    BERTH_TRY(fsync_dir(path_));
  } else if (::fsync(fd_.get()) != 0) {
    return Error::from_errno("fsync " + path_);
  }
  if (::rename(path_.c_str(), target_.c_str()) != 0) {
    int e = errno;
    if (e == ENOTEMPTY || e == EEXIST) return Error(e, target_ + " exists and is not empty");
    return Error::from_errno("rename " + path_ + " to " + target_, e);
  }
  path_.clear();
  return fsync_dir(dirname_of(target_));
}

}  // namespace berth::images
