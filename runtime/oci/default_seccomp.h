// The seccomp profile `berth-oci spec` writes: docker's (moby's) default profile, resolved
// the way docker resolves it for its default capability set on this build's architecture.
// Plain data: compiling and installing it is runtime/linux/seccomp.cc's job.
#pragma once

#include "runtime/oci/spec.h"

namespace berth::oci {

Seccomp default_seccomp_profile();

}  // namespace berth::oci
