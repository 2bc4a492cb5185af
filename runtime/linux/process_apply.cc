// The child-side half of process_plan.h: everything here runs between clone and execve.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "common/file.h"
#include "runtime/linux/process_plan.h"

namespace berth::rt {
namespace {

Status capset_sets(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = static_cast<uint32_t>(effective);
  data[1].effective = static_cast<uint32_t>(effective >> 32);
  data[0].permitted = static_cast<uint32_t>(permitted);
  data[1].permitted = static_cast<uint32_t>(permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(inheritable);
  data[1].inheritable = static_cast<uint32_t>(inheritable >> 32);
  if (::syscall(SYS_capset, &header, data) != 0) return Error::from_errno("capset");
  return ok();
}

Status drop_bounding(const CapabilityPlan& caps) {
  for (int cap = 0; cap <= caps.last_cap; ++cap) {
    if (caps.bounding & (uint64_t{1} << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return Error::from_errno("drop capability " + std::to_string(cap) + " from the bounding set");
    }
  }
  return ok();
}

Status raise_ambient(const CapabilityPlan& caps) {
  for (int cap = 0; cap <= caps.last_cap; ++cap) {
    if (!(caps.ambient & (uint64_t{1} << cap))) continue;
    // Like runc: an ambient capability missing from the inheritable/permitted sets is skipped.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0 && errno != EPERM) {
      return Error::from_errno("raise ambient capability " + std::to_string(cap));
    }
  }
  return ok();
}

Status set_scheduler(const oci::Scheduler& s) {
  struct SchedAttr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
  } attr{};
  attr.size = sizeof attr;
  static constexpr std::pair<const char*, uint32_t> kPolicies[] = {
      {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},      {"SCHED_BATCH", 3},
      {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6}};
  bool found = false;
  for (auto& [name, value] : kPolicies) {
    if (s.policy == name) {
      attr.sched_policy = value;
      found = true;
    }
  }
  if (!found) return Error(EINVAL, "process.scheduler.policy: unknown policy \"" + s.policy + "\"");
  attr.sched_nice = s.nice;
  attr.sched_priority = static_cast<uint32_t>(s.priority);
  attr.sched_runtime = s.runtime;
  attr.sched_deadline = s.deadline;
  attr.sched_period = s.period;
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) != 0) return Error::from_errno("sched_setattr " + s.policy);
  return ok();
}

Status set_io_priority(const oci::IoPriority& p) {
  int cls = 0;
  if (p.io_class == "IOPRIO_CLASS_RT") {
    cls = IOPRIO_CLASS_RT;
  } else if (p.io_class == "IOPRIO_CLASS_BE") {
    cls = IOPRIO_CLASS_BE;
  } else if (p.io_class == "IOPRIO_CLASS_IDLE") {
    cls = IOPRIO_CLASS_IDLE;
  } else {
    return Error(EINVAL, "process.ioPriority.class: unknown class \"" + p.io_class + "\"");
  }
  if (::syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(cls, p.priority)) != 0) {
    return Error::from_errno("ioprio_set " + p.io_class);
  }
  return ok();
}

Status write_attr(const char* lsm_path, const char* legacy_path, const std::string& value) {
  const char* path = ::access(lsm_path, F_OK) == 0 ? lsm_path : legacy_path;
  return write_existing(path, value);
}

// True when `path` is the runtime binary itself, or a script whose interpreter is.
bool is_runtime_binary(const char* path, dev_t self_dev, ino_t self_ino, int depth = 0) {
  struct stat st {};
  if (::stat(path, &st) != 0) return false;
  if (st.st_dev == self_dev && st.st_ino == self_ino) return true;
  if (depth >= 4) return false;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[256] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n < 3 || buf[0] != '#' || buf[1] != '!') return false;
  char* p = buf + 2;
  while (*p == ' ' || *p == '\t') ++p;
  char* end = p;
  while (*end && *end != ' ' && *end != '\t' && *end != '\n') ++end;
  *end = '\0';
  return *p != '\0' && is_runtime_binary(p, self_dev, self_ino, depth + 1);
}

Status exec_candidate(const char* path, const ProcessPlan& plan, dev_t self_dev, ino_t self_ino) {
  if (is_runtime_binary(path, self_dev, self_ino)) {
    return Error(EPERM, std::string("exec ") + path +
                            ": refusing to run the runtime's own binary inside the container (CVE-2019-5736)");
  }
  ::execve(path, plan.argv.data(), plan.envp.data());
  return Error::from_errno(std::string("exec ") + path);
}

}  // namespace

Status apply_process_limits(const ProcessPlan& plan) {
  for (const auto& r : plan.rlimits) {
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &r.limit) != 0) {
      int e = errno;
      std::string what = "setrlimit " + r.name + " soft=" + std::to_string(r.limit.rlim_cur) +
                         " hard=" + std::to_string(r.limit.rlim_max);
      if (e == EPERM) what += " (raising a hard limit needs CAP_SYS_RESOURCE)";
      return Error::from_errno(what, e);
    }
  }
  if (plan.oom_score_adj) {
    auto st = write_existing("/proc/self/oom_score_adj", std::to_string(*plan.oom_score_adj));
    if (!st) {
      std::string hint = st.error().code() == EACCES || st.error().code() == EPERM
                             ? " (lowering oom_score_adj needs CAP_SYS_RESOURCE)"
                             : "";
      return Error(st.error().code(), "set oom_score_adj: " + st.error().message() + hint);
    }
  }
  if (plan.personality && ::personality(*plan.personality) < 0) return Error::from_errno("personality");
  if (plan.scheduler) BERTH_TRY(set_scheduler(*plan.scheduler));
  if (plan.io_priority) BERTH_TRY(set_io_priority(*plan.io_priority));
  return ok();
}

Status apply_exec_labels(const ProcessPlan& plan) {
  if (!plan.apparmor_profile.empty()) {
    BERTH_TRY(write_attr("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec", "exec " + plan.apparmor_profile)
                  .context("apply AppArmor profile " + plan.apparmor_profile));
  }
  if (!plan.selinux_label.empty()) {
    BERTH_TRY(write_existing("/proc/self/attr/exec", plan.selinux_label)
                  .context("apply SELinux label " + plan.selinux_label));
  }
  return ok();
}

Status apply_identity(const ProcessPlan& plan) {
  const CapabilityPlan& caps = plan.caps;
  if (caps.present) BERTH_TRY(drop_bounding(caps));
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::from_errno("prctl PR_SET_KEEPCAPS");
  if (::setgroups(plan.additional_gids.size(), plan.additional_gids.data()) != 0 && errno != EPERM) {
    return Error::from_errno("setgroups");
  }
  if (::setresgid(plan.gid, plan.gid, plan.gid) != 0) return Error::from_errno("setgid " + std::to_string(plan.gid));
  if (::setresuid(plan.uid, plan.uid, plan.uid) != 0) return Error::from_errno("setuid " + std::to_string(plan.uid));
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Error::from_errno("prctl PR_SET_KEEPCAPS");
  if (!caps.present) return ok();
  BERTH_TRY(capset_sets(caps.effective, caps.permitted, caps.inheritable));
  return raise_ambient(caps);
}

Result<int> apply_nnp_and_seccomp(const ProcessPlan& plan, bool seccomp_now) {
  if (plan.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Error::from_errno("prctl PR_SET_NO_NEW_PRIVS");
  }
  if (!seccomp_now || !plan.seccomp) return -1;
  return install_seccomp(*plan.seccomp);
}

Status enter_cwd(const ProcessPlan& plan) {
  if (::chdir(plan.cwd.c_str()) != 0) return Error::from_errno("chdir to process.cwd " + plan.cwd);
  char buf[PATH_MAX];
  // getcwd names a directory outside our root "(unreachable)/..." (or fails): refuse it.
  if (::getcwd(buf, sizeof buf) == nullptr || buf[0] != '/') {
    return Error(EPERM, "process.cwd " + plan.cwd + " resolves outside the container root (CVE-2024-21626)");
  }
  return ok();
}

Status exec_process(const ProcessPlan& plan, dev_t self_dev, ino_t self_ino) {
  const std::string& file = plan.args[0];
  if (file.find('/') != std::string::npos) return exec_candidate(file.c_str(), plan, self_dev, self_ino);
  std::string path = plan.path_env.empty() ? "/usr/local/bin:/usr/bin:/bin" : plan.path_env;
  Error last(ENOENT, "exec " + file + ": executable file not found in $PATH");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      auto err = exec_candidate(candidate.c_str(), plan, self_dev, self_ino);
      if (err.error().code() != EACCES && err.error().code() != ENOENT) return err;
      last = std::move(err).error();
    }
    start = end + 1;
  }
  return last;
}

}  // namespace berth::rt
