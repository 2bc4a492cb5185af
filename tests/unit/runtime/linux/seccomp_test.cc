#include "runtime/linux/seccomp.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <functional>
#include <string>

#include "runtime/oci/default_seccomp.h"

namespace berth::rt {
namespace {

using oci::Seccomp;
using oci::SeccompAction;
using oci::SeccompArg;
using oci::SeccompSyscall;

constexpr int kInstallFailed = 200;

// Runs `body` in a forked child under `program` (with no_new_privs, so no privilege is
// needed) and returns its exit code, or 128 + the signal that killed it. The body may
// only make syscalls: the filter may deny anything else.
int run_filtered(const SeccompProgram& program, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(kInstallFailed);
    if (!install_seccomp(program).ok()) _exit(kInstallFailed);
    _exit(body());
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The errno a syscall failed with, 0 when it succeeded.
int errno_of(long rc) { return rc < 0 ? errno : 0; }

SeccompSyscall rule(std::vector<std::string> names, SeccompAction action, std::optional<uint32_t> errno_ret = {},
                    std::vector<SeccompArg> args = {}) {
  SeccompSyscall r;
  r.names = std::move(names);
  r.action = action;
  r.errno_ret = errno_ret;
  r.args = std::move(args);
  return r;
}

Seccomp allow_all_but(std::vector<SeccompSyscall> rules) {
  Seccomp s;
  s.default_action = SeccompAction::kAllow;
  s.syscalls = std::move(rules);
  return s;
}

SeccompProgram compiled(const Seccomp& s) {
  auto program = compile_seccomp(s);
  EXPECT_TRUE(program.ok()) << program.error().message();
  return program.ok() ? std::move(program).value() : SeccompProgram{};
}

int mkdirat_errno() { return errno_of(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-berth-dir/x", 0700)); }

TEST(Seccomp, ErrnoRuleFailsTheSyscallWithTheAskedErrno) {
  SeccompProgram p = compiled(allow_all_but({rule({"mkdirat"}, SeccompAction::kErrno, ENOMSG)}));
  EXPECT_FALSE(p.filter.empty());
  EXPECT_EQ(run_filtered(p, mkdirat_errno), ENOMSG);
  // Unfiltered, the same call fails for its own reason.
  EXPECT_EQ(run_filtered(compiled(allow_all_but({})), mkdirat_errno), ENOENT);
}

TEST(Seccomp, ErrnoRuleWithoutErrnoRetFailsWithEperm) {
  SeccompProgram p = compiled(allow_all_but({rule({"mkdirat"}, SeccompAction::kErrno)}));
  EXPECT_EQ(run_filtered(p, mkdirat_errno), EPERM);
}

TEST(Seccomp, UnknownSyscallNamesAreSkipped) {
  SeccompProgram p =
      compiled(allow_all_but({rule({"no_such_syscall_berth", "mkdirat"}, SeccompAction::kErrno, ENOMSG)}));
  EXPECT_EQ(run_filtered(p, mkdirat_errno), ENOMSG);
}

TEST(Seccomp, ArgumentConditionChoosesTheRule) {
  Seccomp s;
  s.default_action = SeccompAction::kErrno;
  s.syscalls = {rule({"exit", "exit_group"}, SeccompAction::kAllow),
                rule({"personality"}, SeccompAction::kAllow, {},
                     {SeccompArg{.index = 0, .value = 0xffffffff, .op = "SCMP_CMP_EQ"}})};
  int code = run_filtered(compiled(s), [] {
    if (syscall(SYS_personality, 0xffffffffUL) < 0) return 100;  // querying is allowed
    return errno_of(syscall(SYS_personality, 8UL));              // PER_LINUX32 is not
  });
  EXPECT_EQ(code, EPERM);
}

TEST(Seccomp, TwoConditionsOnOneArgumentMatchEitherValue) {
  SeccompProgram p = compiled(allow_all_but({rule({"personality"}, SeccompAction::kErrno, ENOMSG,
                                                  {SeccompArg{.index = 0, .value = 0x1234, .op = "SCMP_CMP_EQ"},
                                                   SeccompArg{.index = 0, .value = 0x5678, .op = "SCMP_CMP_EQ"}})}));
  int code = run_filtered(p, [] {
    if (errno_of(syscall(SYS_personality, 0x1234UL)) != ENOMSG) return 101;
    if (errno_of(syscall(SYS_personality, 0x5678UL)) != ENOMSG) return 102;
    return errno_of(syscall(SYS_personality, 0xffffffffUL));
  });
  EXPECT_EQ(code, 0);
}

TEST(Seccomp, MaskedEqualComparesTheMaskedBits) {
  // Deny mkdirat when its mode has the setgid bit, whatever the other bits.
  SeccompProgram p = compiled(
      allow_all_but({rule({"mkdirat"}, SeccompAction::kErrno, ENOMSG,
                          {SeccompArg{.index = 2, .value = 02000, .value_two = 02000, .op = "SCMP_CMP_MASKED_EQ"}})}));
  int code = run_filtered(p, [] {
    if (errno_of(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-berth-dir/x", 02755)) != ENOMSG) return 101;
    return errno_of(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-berth-dir/x", 0755));
  });
  EXPECT_EQ(code, ENOENT);
}

TEST(Seccomp, DockerDefaultProfileStillRunsPrograms) {
  SeccompProgram p = compiled(oci::default_seccomp_profile());
  EXPECT_LE(p.filter.size(), static_cast<size_t>(BPF_MAXINSNS));
  EXPECT_EQ(p.flags, 0u);
  EXPECT_FALSE(p.needs_listener);
  int code = run_filtered(p, [] {
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    char* const envp[] = {nullptr};
    execve("/bin/true", argv, envp);
    return 127;
  });
  EXPECT_EQ(code, 0);
}

TEST(Seccomp, DockerDefaultProfileDeniesTheKeyringWithEperm) {
  int code = run_filtered(compiled(oci::default_seccomp_profile()), [] {
    if (errno_of(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0)) != EPERM) return 101;
    return errno_of(syscall(SYS_add_key, "user", "berth", "x", 1, -3));
  });
  EXPECT_EQ(code, EPERM);
}

TEST(Seccomp, DockerDefaultProfileForksButCreatesNoNamespaces) {
  int code = run_filtered(compiled(oci::default_seccomp_profile()), [] {
    pid_t child = fork();
    if (child == 0) _exit(7);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || WEXITSTATUS(status) != 7) return 101;
    if (errno_of(syscall(SYS_unshare, CLONE_NEWUSER)) != EPERM) return 102;
    return errno_of(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
  });
  EXPECT_EQ(code, EPERM);
}

TEST(Seccomp, DockerDefaultProfileAnswersClone3WithEnosys) {
  int code =
      run_filtered(compiled(oci::default_seccomp_profile()), [] { return errno_of(syscall(SYS_clone3, nullptr, 0)); });
  EXPECT_EQ(code, ENOSYS);
}

TEST(Seccomp, NotifyRuleAsksForAListener) {
  SeccompProgram p = compiled(allow_all_but({rule({"mkdirat"}, SeccompAction::kNotify)}));
  EXPECT_TRUE(p.needs_listener);
  EXPECT_NE(p.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER, 0u);
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(kInstallFailed);
    auto fd = install_seccomp(p);
    _exit(fd.ok() && *fd >= 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Seccomp, FlagsMapToTheKernelsBits) {
  Seccomp s = allow_all_but({rule({"mkdirat"}, SeccompAction::kErrno)});
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC",
             "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  // TSYNC has nothing to do in a single-threaded init; WAIT_KILLABLE_RECV needs a listener.
  EXPECT_EQ(compiled(s).flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  s.syscalls.push_back(rule({"getppid"}, SeccompAction::kNotify));
  EXPECT_EQ(compiled(s).flags,
            SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_NEW_LISTENER | (1U << 5));
}

TEST(Seccomp, ARuleRepeatingTheDefaultActionIsDropped) {
  Seccomp s;
  s.default_action = SeccompAction::kErrno;
  s.default_errno_ret = EPERM;
  s.syscalls = {rule({"exit_group"}, SeccompAction::kAllow), rule({"mkdirat"}, SeccompAction::kErrno, EPERM)};
  EXPECT_TRUE(compile_seccomp(s).ok());
}

TEST(Seccomp, BadProfilesAreRefusedWithTheReason) {
  Seccomp arch = allow_all_but({});
  arch.architectures = {"SCMP_ARCH_VAX"};
  auto r = compile_seccomp(arch);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("SCMP_ARCH_VAX"), std::string::npos) << r.error().message();

  Seccomp op = allow_all_but({rule({"mkdirat"}, SeccompAction::kErrno, {}, {SeccompArg{.op = "SCMP_CMP_ABOUT"}})});
  r = compile_seccomp(op);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("syscalls[0]"), std::string::npos) << r.error().message();

  Seccomp index =
      allow_all_but({rule({"mkdirat"}, SeccompAction::kErrno, {}, {SeccompArg{.index = 6, .op = "SCMP_CMP_EQ"}})});
  EXPECT_FALSE(compile_seccomp(index).ok());

  Seccomp flag = allow_all_but({});
  flag.flags = {"SECCOMP_FILTER_FLAG_NOPE"};
  EXPECT_FALSE(compile_seccomp(flag).ok());

  Seccomp notify_default;
  notify_default.default_action = SeccompAction::kNotify;
  EXPECT_FALSE(compile_seccomp(notify_default).ok());
}

}  // namespace
}  // namespace berth::rt
