// Runs one CNI plugin binary the way the specification says a runtime does: found in the
// CNI_PATH directories, its configuration on stdin, the CNI_* variables in its environment,
// its result read from stdout. Boost.Process does the spawning; its exceptions stop here.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::cni {

struct PluginRun {
  int exit_code = -1;
  std::string out, err;
};

// The first executable `type` in `dirs`; an error listing the directories searched.
Result<std::string> find_plugin(const std::string& type, const std::vector<std::string>& dirs);

// Runs `binary` with the caller's environment plus `env` (which wins), `stdin_data` on its
// stdin; kills it after `timeout`. An error only when it could not run or timed out.
Result<PluginRun> run_plugin(const std::string& binary, const std::map<std::string, std::string>& env,
                             const std::string& stdin_data, std::chrono::milliseconds timeout);

}  // namespace berth::cni
