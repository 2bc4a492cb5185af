#include "cli/oci/commands_cgroup.h"

namespace berth::cli {

Result<int> cmd_update(const Globals&, const std::vector<std::string>& argv, size_t at) {
  return Error(EOPNOTSUPP, "berth-oci " + argv[at - 1] + ": not supported yet");
}

}  // namespace berth::cli
