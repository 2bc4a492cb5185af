// The host's NVIDIA user-space driver (libnvidia-*.so*, libcuda.so*, nvidia-smi, …) as
// read-only bind mounts at the same paths inside a container, found in directories it is
// told. Never copies, links or changes a host file, and never mounts anything itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/oci/spec.h"

namespace berth::gpu {

struct DriverSearch {
  std::vector<std::string> lib_dirs = {"/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64",
                                       "/lib/x86_64-linux-gnu"};
  std::vector<std::string> bin_dirs = {"/usr/local/nvidia/bin", "/usr/bin"};
};

struct DriverFiles {
  std::vector<oci::Mount> mounts;     // bind,ro,nosuid,nodev; one per container path
  std::vector<std::string> lib_dirs;  // the search dirs a library was found in, in search order
};

// libnvidia-*.so*, libcuda.so*.
bool is_driver_library(std::string_view name);
// nvidia-smi, nvidia-debugdump, nvidia-persistenced.
bool is_driver_tool(std::string_view name);

// Every driver library and tool in the search dirs (a dir that does not exist is skipped).
// A symlink is followed: the real file is bound at its own path and again at the link's.
Result<DriverFiles> find_driver_files(const DriverSearch& search);

// LD_LIBRARY_PATH for `lib_dirs`: those the dynamic loader does not search by itself, joined
// by ':'; "" when there are none.
std::string ld_library_path(const std::vector<std::string>& lib_dirs);

}  // namespace berth::gpu
