// pause ID and resume ID: freeze and thaw a container (runtime/container/pause.h).
#include <string>
#include <vector>

#include "cli/oci/args.h"
#include "cli/oci/commands_cgroup.h"
#include "runtime/container/pause.h"

namespace berth::cli {
namespace {

// Both commands take no flags and exactly one container id, as runc's do.
Result<std::string> the_id(const std::vector<std::string>& argv, size_t at, const std::string& command) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {}, false));
  if (a.positional.size() != 1) {
    return Error(EINVAL, command + ": expects exactly one container id, got " + std::to_string(a.positional.size()) +
                             " arguments");
  }
  return a.positional[0];
}

}  // namespace

Result<int> cmd_pause(const Globals& g, const std::vector<std::string>& argv, size_t at) {
  BERTH_ASSIGN(auto id, the_id(argv, at, "pause"));
  BERTH_TRY(container::pause(g.root, id));
  return 0;
}

Result<int> cmd_resume(const Globals& g, const std::vector<std::string>& argv, size_t at) {
  BERTH_ASSIGN(auto id, the_id(argv, at, "resume"));
  BERTH_TRY(container::resume(g.root, id));
  return 0;
}

}  // namespace berth::cli
