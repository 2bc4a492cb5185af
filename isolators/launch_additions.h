// Folds what the isolators' prepare() asked for into a container's config.json: mounts
// appended, device nodes added to linux.devices, environment set in process.env (a name
// already there is replaced; PATH and LD_LIBRARY_PATH are prepended to). Only edits the JSON text; never touches the
// host.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "isolators/isolator.h"

namespace berth::isolators {

Result<std::string> add_to_config(std::string_view config_json, const LaunchAdditions& additions);

}  // namespace berth::isolators
