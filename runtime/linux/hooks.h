// OCI hooks: run a hook binary with the container state on stdin, its own args and env,
// and a timeout; a non-zero exit or a timeout is an error naming the hook.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/oci/spec.h"

namespace berth::rt {

Status run_hook(const oci::Hook& hook, std::string_view state_json, std::string_view kind);
Status run_hooks(const std::vector<oci::Hook>& hooks, std::string_view state_json, std::string_view kind);

}  // namespace berth::rt
