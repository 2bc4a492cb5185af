// One container's cgroup: the same relative path made in every hierarchy of the host.
// Owns nothing by itself (a cgroup outlives berth-oci between create and delete);
// remove() kills what is left, waits for it and removes every directory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "isolators/cgroups/hierarchy.h"

namespace berth::cgroups {

struct CgroupDir {
  std::string path;         // absolute host path: /sys/fs/cgroup/memory/berth/c1
  std::string mount_point;  // the hierarchy's mount point
  std::vector<std::string> controllers;
  bool v2 = false;
};

class CgroupSet {
 public:
  CgroupSet() = default;
  explicit CgroupSet(std::vector<CgroupDir> dirs) : dirs_(std::move(dirs)) {}

  // Where `relative` ("/berth/c1") lives in every hierarchy of `host`; makes nothing.
  static CgroupSet plan(const HostCgroups& host, const std::string& relative);
  // Makes the planned directories (cpusets filled in, v2 controllers delegated); on failure
  // removes what it made.
  Status make() const;
  // plan + make.
  static Result<CgroupSet> create(const HostCgroups& host, const std::string& relative);

  [[nodiscard]] const std::vector<CgroupDir>& dirs() const { return dirs_; }
  // The directory in the v1 hierarchy that has `controller` ("memory"), or nullptr.
  [[nodiscard]] const CgroupDir* v1_dir(std::string_view controller) const;
  // The cgroup.procs files a new process is written into.
  [[nodiscard]] std::vector<std::string> procs_files() const;
  Status add_process(pid_t pid) const;
  // Every pid in the container's cgroup (read from the first hierarchy that has it).
  [[nodiscard]] Result<std::vector<pid_t>> pids() const;
  Status signal_all(int signal) const;
  // Kills whatever is left, waits up to `timeout` for the cgroups to empty, removes them.
  Status remove(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  std::vector<CgroupDir> dirs_;
  std::string relative_;  // set by plan()
};

// Resolves the OCI cgroupsPath: empty -> "/berth/<id>"; relative -> under "/berth".
std::string resolve_cgroups_path(const std::string& cgroups_path, const std::string& id);

}  // namespace berth::cgroups
