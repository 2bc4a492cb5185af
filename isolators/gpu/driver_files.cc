#include "isolators/gpu/driver_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <set>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"

namespace berth::gpu {
namespace {

// Where glibc's loader looks without being told (Debian's multiarch dirs and the plain ones).
constexpr std::string_view kLoaderDirs[] = {
    "/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"};

oci::Mount read_only_bind(const std::string& source, const std::string& destination) {
  return oci::Mount{destination, "bind", source, {"bind", "ro", "nosuid", "nodev"}, {}, {}};
}

class MountList {
 public:
  // Binds `source` at `destination` unless something is bound there already.
  void add(const std::string& source, const std::string& destination) {
    if (destinations_.insert(destination).second) mounts_.push_back(read_only_bind(source, destination));
  }
  std::vector<oci::Mount> take() { return std::move(mounts_); }

 private:
  std::vector<oci::Mount> mounts_;
  std::set<std::string> destinations_;
};

Result<std::string> real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return Error::from_errno("resolve " + path);
  return std::string(buf);
}

// Adds the mounts for `path`; false when it is not a file (or a link to one) and was skipped.
Result<bool> add_file(const std::string& path, MountList& mounts) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Error::from_errno("stat " + path);
  if (S_ISREG(st.st_mode)) {
    mounts.add(path, path);
    return true;
  }
  if (!S_ISLNK(st.st_mode)) return false;
  auto real = real_path(path);
  if (!real) {
    // A dangling link (a development symlink whose target is not installed) is not the driver.
    log::debug("GPU driver files: skipped " + real.error().message());
    return false;
  }
  if (::stat(real->c_str(), &st) != 0) return Error::from_errno("stat " + *real);
  if (!S_ISREG(st.st_mode)) return false;
  mounts.add(*real, *real);
  mounts.add(*real, path);
  return true;
}

// The files in `dir` that `wanted` accepts, in name order; none when `dir` does not exist.
Result<std::vector<std::string>> matching_files(const std::string& dir, bool (*wanted)(std::string_view)) {
  std::vector<std::string> out;
  auto names = list_dir(dir);
  if (!names) {
    if (names.error().code() == ENOENT || names.error().code() == ENOTDIR) return out;
    return std::move(names).error();
  }
  std::sort(names->begin(), names->end());
  for (const auto& name : *names) {
    if (wanted(name)) out.push_back(path_join(dir, name));
  }
  return out;
}

}  // namespace

bool is_driver_library(std::string_view name) {
  if (name.starts_with("libcuda.so")) return true;
  return name.starts_with("libnvidia-") && name.find(".so") != std::string_view::npos;
}

bool is_driver_tool(std::string_view name) {
  return name == "nvidia-smi" || name == "nvidia-debugdump" || name == "nvidia-persistenced";
}

Result<DriverFiles> find_driver_files(const DriverSearch& search) {
  DriverFiles found;
  MountList mounts;
  for (const auto& dir : search.lib_dirs) {
    BERTH_ASSIGN(auto files, matching_files(dir, is_driver_library));
    bool used = false;
    for (const auto& f : files) {
      BERTH_ASSIGN(bool added, add_file(f, mounts).context("GPU driver libraries"));
      used = used || added;
    }
    if (used) found.lib_dirs.push_back(dir);
  }
  for (const auto& dir : search.bin_dirs) {
    BERTH_ASSIGN(auto files, matching_files(dir, is_driver_tool));
    for (const auto& f : files) BERTH_TRY(add_file(f, mounts).context("GPU driver tools"));
  }
  found.mounts = mounts.take();
  return found;
}

std::string ld_library_path(const std::vector<std::string>& lib_dirs) {
  std::vector<std::string> extra;
  for (const auto& dir : lib_dirs) {
    const bool standard = std::find(std::begin(kLoaderDirs), std::end(kLoaderDirs), dir) != std::end(kLoaderDirs);
    if (!standard && std::find(extra.begin(), extra.end(), dir) == extra.end()) extra.push_back(dir);
  }
  return join(extra, ":");
}

}  // namespace berth::gpu
