// The cgroup v2 device controller: an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) built from
// device rules with runc's devicefilter semantics, loaded and attached to a cgroup.
// It must never allow what the rules deny: anything no rule matches is denied.
#pragma once

#include <linux/bpf.h>

#include <vector>

#include "common/fd.h"
#include "common/result.h"
#include "isolators/cgroups/resources_internal.h"

namespace berth::cgroups {

// The program for `rules`, the last matching rule deciding (as in v1's devices.allow/deny).
// The rules are emitted in reverse so that the first match in the program wins; a rule that
// matches everything ends the program, with nothing unreachable after it.
std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules);

// Loads the program into the kernel; a verifier rejection carries the verifier's log.
Result<UniqueFd> load_device_program(const std::vector<bpf_insn>& program);

// Attaches without BPF_F_ALLOW_MULTI: a later attach to the same cgroup replaces the
// program there (how `update` changes the rules), and the attachment outlives `prog_fd`.
Status attach_device_program(int cgroup_dir_fd, int prog_fd);

}  // namespace berth::cgroups
