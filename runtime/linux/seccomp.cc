#include "runtime/linux/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "runtime/oci/seccomp_names.h"

namespace berth::rt {
namespace {

using oci::SeccompAction;

// Closes on every path, so that an error return leaks nothing.
struct FilterContext {
  scmp_filter_ctx ctx;
  explicit FilterContext(uint32_t default_action) : ctx(seccomp_init(default_action)) {}
  ~FilterContext() {
    if (ctx != nullptr) seccomp_release(ctx);
  }
  FilterContext(const FilterContext&) = delete;
  FilterContext& operator=(const FilterContext&) = delete;
};

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

Result<uint32_t> action_token(SeccompAction action, std::optional<uint32_t> errno_ret) {
  // runtime-spec: errnoRet defaults to EPERM for the actions that return a value.
  uint32_t ret = errno_ret.value_or(EPERM);
  switch (action) {
    case SeccompAction::kKill:
    case SeccompAction::kKillThread: return SCMP_ACT_KILL_THREAD;
    case SeccompAction::kKillProcess: return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::kTrap: return SCMP_ACT_TRAP;
    case SeccompAction::kErrno: return SCMP_ACT_ERRNO(ret);
    case SeccompAction::kTrace: return SCMP_ACT_TRACE(ret);
    case SeccompAction::kAllow: return SCMP_ACT_ALLOW;
    case SeccompAction::kLog: return SCMP_ACT_LOG;
    case SeccompAction::kNotify: return SCMP_ACT_NOTIFY;
  }
  return Error(EINVAL, "unknown seccomp action");
}

Result<scmp_compare> compare_op(const std::string& op) {
  static constexpr std::pair<std::string_view, scmp_compare> kOps[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  for (const auto& [name, value] : kOps) {
    if (name == op) return value;
  }
  return Error(EINVAL, "unknown operator \"" + op + "\"");
}

Result<std::vector<scmp_arg_cmp>> comparisons(const std::vector<oci::SeccompArg>& args) {
  std::vector<scmp_arg_cmp> out;
  for (const oci::SeccompArg& arg : args) {
    if (arg.index > 5) return Error(EINVAL, "argument index " + std::to_string(arg.index) + " is over 5");
    BERTH_ASSIGN(scmp_compare op, compare_op(arg.op));
    // For MASKED_EQ, value is the mask and valueTwo the datum: (arg & value) == valueTwo.
    out.push_back(scmp_arg_cmp{arg.index, op, arg.value, arg.value_two});
  }
  return out;
}

Status add_architectures(scmp_filter_ctx ctx, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    uint32_t token = oci::seccomp_arch_token(name);
    if (token == 0) return Error(EINVAL, "unknown architecture \"" + name + "\"");
    int rc = seccomp_arch_add(ctx, token);
    // The native architecture is in every new filter already.
    if (rc < 0 && rc != -EEXIST) return Error(-rc, "add architecture " + name + ": " + strerror(-rc));
  }
  return ok();
}

// libseccomp takes one comparison per argument in a rule; when a rule compares one
// argument twice, runc adds each comparison as a rule of its own (any one matching).
bool repeats_an_argument(const std::vector<scmp_arg_cmp>& cmps) {
  std::set<unsigned int> seen;
  for (const scmp_arg_cmp& c : cmps) {
    if (!seen.insert(c.arg).second) return true;
  }
  return false;
}

Status add_syscall(scmp_filter_ctx ctx, const std::string& name, uint32_t action,
                   const std::vector<scmp_arg_cmp>& cmps) {
  int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr == __NR_SCMP_ERROR) return ok();  // unknown to every architecture: skip
  int rc = 0;
  if (repeats_an_argument(cmps)) {
    for (const scmp_arg_cmp& c : cmps) {
      rc = seccomp_rule_add_array(ctx, action, nr, 1, &c);
      if (rc < 0) break;
    }
  } else {
    rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned int>(cmps.size()), cmps.data());
  }
  if (rc < 0) return Error(-rc, "add rule for " + name + ": " + strerror(-rc));
  return ok();
}

Status add_rules(scmp_filter_ctx ctx, const oci::Seccomp& seccomp, uint32_t default_action) {
  for (size_t i = 0; i < seccomp.syscalls.size(); ++i) {
    const oci::SeccompSyscall& rule = seccomp.syscalls[i];
    std::string where = "syscalls[" + std::to_string(i) + "]";
    auto action = action_token(rule.action, rule.errno_ret);
    if (!action) return std::move(action).error().context(where);
    // libseccomp refuses a rule that repeats the default action; it changes nothing.
    if (*action == default_action) continue;
    auto cmps = comparisons(rule.args);
    if (!cmps) return std::move(cmps).error().context(where);
    for (const std::string& name : rule.names) {
      BERTH_TRY(add_syscall(ctx, name, *action, *cmps).context(where));
    }
  }
  return ok();
}

Result<unsigned int> filter_flags(const std::vector<std::string>& names, bool needs_listener) {
  unsigned int flags = 0;
  for (const std::string& name : names) {
    std::optional<uint32_t> bit = oci::seccomp_flag_bit(name);
    if (!bit) return Error(EINVAL, "unknown flag \"" + name + "\"");
    flags |= *bit;
  }
  // The init is single-threaded when it installs the filter, so TSYNC has nothing to do,
  // and the kernel refuses it beside NEW_LISTENER.
  flags &= ~static_cast<unsigned int>(SECCOMP_FILTER_FLAG_TSYNC);
  if (needs_listener) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  } else {
    // Only says how a listener waits; the kernel refuses it without one.
    flags &= ~static_cast<unsigned int>(oci::seccomp_flag_bit("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV").value_or(0));
  }
  return flags;
}

Result<std::vector<sock_filter>> export_bpf(scmp_filter_ctx ctx) {
  FdCloser memfd{memfd_create("berth-seccomp", MFD_CLOEXEC)};
  if (memfd.fd < 0) return Error::from_errno("memfd_create");
  int rc = seccomp_export_bpf(ctx, memfd.fd);
  if (rc < 0) return Error(-rc, std::string("export BPF: ") + strerror(-rc));
  struct stat st {};
  if (fstat(memfd.fd, &st) < 0) return Error::from_errno("stat exported BPF");
  size_t count = static_cast<size_t>(st.st_size) / sizeof(sock_filter);
  if (count > BPF_MAXINSNS) {
    return Error(E2BIG, "filter has " + std::to_string(count) + " instructions, over the kernel's " +
                            std::to_string(BPF_MAXINSNS));
  }
  std::vector<sock_filter> filter(count);
  ssize_t n = pread(memfd.fd, filter.data(), count * sizeof(sock_filter), 0);
  if (n < 0) return Error::from_errno("read exported BPF");
  if (static_cast<size_t>(n) != count * sizeof(sock_filter)) return Error(EIO, "read exported BPF: short read");
  return filter;
}

bool uses_notify(const oci::Seccomp& seccomp) {
  for (const oci::SeccompSyscall& rule : seccomp.syscalls) {
    if (rule.action == SeccompAction::kNotify) return true;
  }
  return false;
}

}  // namespace

Result<SeccompProgram> compile_seccomp(const oci::Seccomp& seccomp) {
  // A notifying default would send the supervisor every syscall, the listener's own
  // setup included; runc refuses it too.
  if (seccomp.default_action == SeccompAction::kNotify) {
    return Error(EINVAL, "seccomp: SCMP_ACT_NOTIFY cannot be the default action");
  }
  BERTH_ASSIGN(uint32_t default_action, action_token(seccomp.default_action, seccomp.default_errno_ret));
  FilterContext filter(default_action);
  if (filter.ctx == nullptr) return Error(EINVAL, "seccomp: libseccomp refused the default action");
  BERTH_TRY(add_architectures(filter.ctx, seccomp.architectures).context("seccomp"));
  BERTH_TRY(add_rules(filter.ctx, seccomp, default_action).context("seccomp"));
  SeccompProgram program;
  program.needs_listener = uses_notify(seccomp);
  BERTH_ASSIGN(program.flags, filter_flags(seccomp.flags, program.needs_listener).context("seccomp"));
  BERTH_ASSIGN(program.filter, export_bpf(filter.ctx).context("seccomp"));
  return program;
}

Result<int> install_seccomp(const SeccompProgram& program) {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.filter.size());
  prog.filter = const_cast<sock_filter*>(program.filter.data());  // the kernel only reads it
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &prog);
  if (rc < 0) return Error::from_errno("seccomp(SECCOMP_SET_MODE_FILTER)");
  if ((program.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0) return static_cast<int>(rc);
  return -1;
}

}  // namespace berth::rt
