// The OCI state document: what `berth-oci state` prints and what hooks read on stdin.
// Plain values and their JSON form only; where state is stored is runtime/linux's concern.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::oci {

struct State {
  std::string oci_version;
  std::string id;
  std::string status;  // creating, created, running, stopped
  int pid = 0;
  std::string bundle;
  std::map<std::string, std::string> annotations;
};

// The state as JSON: one line, or indented by two spaces like runc's `state` output.
// Field order follows the spec: ociVersion, id, status, pid, bundle, annotations (left out
// when empty).
std::string state_to_json(const State& state, bool pretty);
// Parses and validates a state document; errors name the field: "status: unknown status \"x\"".
Result<State> parse_state(std::string_view json);

}  // namespace berth::oci
