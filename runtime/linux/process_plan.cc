#include "runtime/linux/process_plan.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/file.h"
#include "common/strings.h"

namespace berth::rt {
namespace {

Result<uint64_t> cap_mask(const std::vector<std::string>& names, const char* set) {
  uint64_t mask = 0;
  for (const auto& name : names) {
    int cap = oci::capability_from_name(name);
    if (cap < 0) {
      return Error(EINVAL, std::string("process.capabilities.") + set + ": unknown capability \"" + name + "\"");
    }
    mask |= uint64_t{1} << cap;
  }
  return mask;
}

int read_last_cap() {
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  if (!text) return CAP_LAST_CAP;
  auto v = parse_uint(trim(*text));
  return v ? static_cast<int>(*v) : CAP_LAST_CAP;
}

Result<CapabilityPlan> plan_capabilities(const oci::Capabilities& caps) {
  CapabilityPlan plan;
  plan.present = true;
  plan.last_cap = read_last_cap();
  BERTH_ASSIGN(plan.bounding, cap_mask(caps.bounding, "bounding"));
  BERTH_ASSIGN(plan.effective, cap_mask(caps.effective, "effective"));
  BERTH_ASSIGN(plan.permitted, cap_mask(caps.permitted, "permitted"));
  BERTH_ASSIGN(plan.inheritable, cap_mask(caps.inheritable, "inheritable"));
  BERTH_ASSIGN(plan.ambient, cap_mask(caps.ambient, "ambient"));
  return plan;
}

Result<unsigned long> plan_personality(const oci::PersonalityDomain& p) {
  if (p.domain == "LINUX") return static_cast<unsigned long>(PER_LINUX);
  if (p.domain == "LINUX32") return static_cast<unsigned long>(PER_LINUX32);
  return Error(EINVAL, "linux.personality.domain: unknown domain \"" + p.domain + "\"");
}

bool lsm_enabled(const char* what) {
  if (std::strcmp(what, "apparmor") == 0) {
    auto text = read_file("/sys/module/apparmor/parameters/enabled");
    return text && !text->empty() && (*text)[0] == 'Y';
  }
  return path_exists("/sys/fs/selinux/enforce");
}

}  // namespace

void ProcessPlan::finalize() {
  argv.clear();
  envp.clear();
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  path_env.clear();
  for (const auto& e : env) {
    if (starts_with(e, "PATH=")) path_env = e.substr(5);
  }
}

Result<ProcessPlan> plan_process(const oci::Process& process, const oci::Seccomp* seccomp,
                                 const oci::PersonalityDomain* personality) {
  ProcessPlan plan;
  if (process.args.empty()) return Error(EINVAL, "process.args: must not be empty");
  plan.args = process.args;
  plan.env = process.env;
  plan.cwd = process.cwd.empty() ? "/" : process.cwd;
  if (plan.cwd[0] != '/') return Error(EINVAL, "process.cwd: must be an absolute path, got \"" + plan.cwd + "\"");
  plan.uid = process.user.uid;
  plan.gid = process.user.gid;
  plan.additional_gids.assign(process.user.additional_gids.begin(), process.user.additional_gids.end());
  if (process.user.umask) plan.umask = static_cast<mode_t>(*process.user.umask);
  plan.terminal = process.terminal;
  plan.console_size = process.console_size;
  plan.no_new_privileges = process.no_new_privileges;
  plan.oom_score_adj = process.oom_score_adj;
  for (const auto& r : process.rlimits) {
    plan.rlimits.push_back(RlimitPlan{r.resource, rlimit{r.soft, r.hard}, r.type});
  }
  if (process.capabilities) {
    BERTH_ASSIGN(plan.caps, plan_capabilities(*process.capabilities));
  }
  if (seccomp != nullptr) {
    BERTH_ASSIGN(plan.seccomp, compile_seccomp(*seccomp).context("linux.seccomp"));
  }
  if (!process.apparmor_profile.empty() && !lsm_enabled("apparmor")) {
    return Error(EOPNOTSUPP,
                 "process.apparmorProfile \"" + process.apparmor_profile + "\": AppArmor is not enabled on this host");
  }
  plan.apparmor_profile = process.apparmor_profile;
  if (!process.selinux_label.empty() && !lsm_enabled("selinux")) {
    return Error(EOPNOTSUPP,
                 "process.selinuxLabel \"" + process.selinux_label + "\": SELinux is not enabled on this host");
  }
  plan.selinux_label = process.selinux_label;
  if (personality != nullptr) {
    BERTH_ASSIGN(plan.personality, plan_personality(*personality));
  }
  plan.scheduler = process.scheduler;
  plan.io_priority = process.io_priority;
  plan.finalize();
  return plan;
}

void close_fds_except(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned int next = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(next)) continue;
    if (static_cast<unsigned int>(fd) > next) ::syscall(SYS_close_range, next, fd - 1, 0);
    next = static_cast<unsigned int>(fd) + 1;
  }
  ::syscall(SYS_close_range, next, ~0U, 0);
}

}  // namespace berth::rt
