// The user process of a container (its init or an exec'd one), prepared in the runtime
// before clone: names resolved to numbers, strings laid out for execve, seccomp compiled.
// The apply_* functions run in the child between clone and execve: syscalls only.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/linux/seccomp.h"
#include "runtime/oci/spec.h"

namespace berth::rt {

struct CapabilityPlan {
  bool present = false;  // false: leave capabilities as they are (no process.capabilities)
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
  int last_cap = 40;
};

struct RlimitPlan {
  int resource;
  rlimit limit;
  std::string name;
};

struct ProcessPlan {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<char*> argv;  // point into args/env; rebuilt by finalize()
  std::vector<char*> envp;
  std::string path_env;  // PATH from env, for the executable look-up
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  std::optional<mode_t> umask;
  bool terminal = false;
  std::optional<oci::ConsoleSize> console_size;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::vector<RlimitPlan> rlimits;
  CapabilityPlan caps;
  std::optional<SeccompProgram> seccomp;
  std::string apparmor_profile;
  std::string selinux_label;
  std::optional<unsigned long> personality;
  std::optional<oci::Scheduler> scheduler;
  std::optional<oci::IoPriority> io_priority;

  void finalize();  // lays out argv/envp
};

// Resolves names (capabilities, rlimits, seccomp) and validates what can be checked
// before the container exists. `seccomp` comes from linux.seccomp (may be null).
Result<ProcessPlan> plan_process(const oci::Process& process, const oci::Seccomp* seccomp,
                                 const oci::PersonalityDomain* personality);

// --- in the child, in this order ---
// rlimits, oom_score_adj, personality, scheduler, io priority (while still privileged).
Status apply_process_limits(const ProcessPlan& plan);
// LSM exec labels: AppArmor profile and SELinux process label, effective at execve.
Status apply_exec_labels(const ProcessPlan& plan);
// Bounding set, groups, gids, uids, then the remaining capability sets.
Status apply_identity(const ProcessPlan& plan);
// no_new_privs then (when planned) the seccomp filter; returns a listener fd or -1.
Result<int> apply_nnp_and_seccomp(const ProcessPlan& plan, bool seccomp_now);
// chdir to the process cwd and check it is inside the container root (CVE-2024-21626).
Status enter_cwd(const ProcessPlan& plan);
// Searches PATH like execvp, refuses the runtime's own binary (CVE-2019-5736), execs.
Status exec_process(const ProcessPlan& plan, dev_t self_dev, ino_t self_ino);

// Closes every fd >= 3 except those in `keep` (sorted or not).
void close_fds_except(std::vector<int> keep);

}  // namespace berth::rt
