// pause ID and resume ID: freeze and thaw a container (runtime/container/pause.h).
#include <string>
#include <vector>

#include "cli/oci/args.h"
#include "cli/oci/commands_cgroup.h"
#include "runtime/container/pause.h"

namespace berth::cli {
Result<int> cmd_pause(const Globals& g, const std::vector<std::string>& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {}, false));
  BERTH_ASSIGN(auto id, one_id(a, "pause"));
  BERTH_TRY(container::pause(g.root, id));
  return 0;
}

Result<int> cmd_resume(const Globals& g, const std::vector<std::string>& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {}, false));
  BERTH_ASSIGN(auto id, one_id(a, "resume"));
  BERTH_TRY(container::resume(g.root, id));
  return 0;
}

}  // namespace berth::cli
