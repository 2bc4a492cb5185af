// The config.json that `berth-oci spec` writes: runc's example spec with docker's
// defaults (capabilities, masked paths, seccomp profile), or its rootless variant.
// Produces text only; it never reads or writes a bundle.
#pragma once

#include <string>

namespace berth::oci {

// Tab-indented JSON. `rootless` adds a user namespace mapping the caller's euid/egid to
// root and drops what an unprivileged user cannot set up (see runc spec --rootless).
std::string default_spec_json(bool rootless);

}  // namespace berth::oci
