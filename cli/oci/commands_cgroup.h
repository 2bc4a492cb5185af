// The berth-oci commands that act on a running container's cgroups: pause, resume,
// update and events. Each lives in its own file (cmd_pause.cc, cmd_update.cc,
// cmd_events.cc); commands.cc dispatches to them.
#pragma once

#include <string>
#include <vector>

#include "cli/oci/commands.h"
#include "common/result.h"
#include "runtime/oci/spec.h"

namespace berth::cli {

Result<int> cmd_pause(const Globals& g, const std::vector<std::string>& argv, size_t at);
Result<int> cmd_resume(const Globals& g, const std::vector<std::string>& argv, size_t at);
Result<int> cmd_update(const Globals& g, const std::vector<std::string>& argv, size_t at);
Result<int> cmd_events(const Globals& g, const std::vector<std::string>& argv, size_t at);

// What `update` was asked: the container and the linux.resources to write (--resources
// FILE, or "-" for standard input, with runc's limit flags over it). Bad flag values are
// errors naming the flag and the value: --memory "12x": not a size.
struct UpdateRequest {
  std::string id;
  oci::Resources resources;
};
Result<UpdateRequest> parse_update(const std::vector<std::string>& argv, size_t at);

}  // namespace berth::cli
