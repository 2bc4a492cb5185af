// The seccomp compiler: turns config.json's linux.seccomp into raw BPF before the
// container init is cloned, so that the init installs it with one seccomp(2) call and
// no allocation. Compiling uses libseccomp; installing must not.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "common/result.h"
#include "runtime/oci/spec.h"

namespace berth::rt {

struct SeccompProgram {
  std::vector<sock_filter> filter;
  unsigned int flags = 0;       // SECCOMP_FILTER_FLAG_*, NEW_LISTENER included when needed
  bool needs_listener = false;  // some rule (or the default) is SCMP_ACT_NOTIFY
};

// Syscall names no architecture of the filter knows are skipped, as runc does: a profile
// written for newer kernels must still load. Errors name the rule that could not be added.
[[nodiscard]] Result<SeccompProgram> compile_seccomp(const oci::Seccomp& seccomp);

// Installs the program on the calling thread with seccomp(2). Async-signal-safe on success
// (the error path allocates its message). The caller must have set PR_SET_NO_NEW_PRIVS or
// hold CAP_SYS_ADMIN. Returns the notification listener fd when the program has one, else -1.
[[nodiscard]] Result<int> install_seccomp(const SeccompProgram& program);

}  // namespace berth::rt
