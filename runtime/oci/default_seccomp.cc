#include "runtime/oci/default_seccomp.h"

#include <array>
#include <cerrno>
#include <cstdint>
#include <span>
#include <string_view>

namespace berth::oci {
namespace {

// Allowed unconditionally. Names some architecture lacks are skipped there by the
// compiler, which is why 32-bit and time64 variants sit beside the 64-bit ones.
constexpr std::string_view kAllowed[] = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_time64",
    "futex_waitv",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
};

// Docker allows these from kernel 4.8 on, where ptrace can no longer bypass seccomp;
// berth needs a newer kernel than that anyway.
constexpr std::string_view kAllowedSinceKernel48[] = {"process_vm_readv", "process_vm_writev", "ptrace"};

// personality(2) is allowed only for these personas (PER_LINUX, PER_LINUX32,
// UNAME26, UNAME26|PER_LINUX32, and 0xffffffff which only queries the current one).
constexpr uint64_t kAllowedPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// socket(2) is allowed for every family but AF_VSOCK.
constexpr uint64_t kAfVsock = 40;

// CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: clone(2) may not create
// namespaces without CAP_SYS_ADMIN, which the default capability set lacks.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;  // 2114060288

#if defined(__aarch64__)
constexpr std::string_view kArchitectures[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
constexpr std::string_view kArchSpecific[] = {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                              "breakpoint",       "cacheflush",          "set_tls"};
#else
constexpr std::string_view kArchitectures[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
// Docker lists arch_prctl (amd64, x32) and modify_ldt (amd64, x32, x86) separately.
constexpr std::string_view kArchSpecific[] = {"arch_prctl", "modify_ldt"};
#endif

std::vector<std::string> to_strings(std::span<const std::string_view> names) { return {names.begin(), names.end()}; }

SeccompSyscall allow(std::span<const std::string_view> names) {
  SeccompSyscall rule;
  rule.names = to_strings(names);
  rule.action = SeccompAction::kAllow;
  return rule;
}

SeccompSyscall allow_if(std::string_view name, SeccompArg arg) {
  SeccompSyscall rule;
  rule.names = {std::string(name)};
  rule.action = SeccompAction::kAllow;
  rule.args = {std::move(arg)};
  return rule;
}

void add_argument_rules(std::vector<SeccompSyscall>& rules) {
  rules.push_back(allow_if("socket", SeccompArg{.index = 0, .value = kAfVsock, .op = "SCMP_CMP_NE"}));
  for (uint64_t persona : kAllowedPersonalities) {
    rules.push_back(allow_if("personality", SeccompArg{.index = 0, .value = persona, .op = "SCMP_CMP_EQ"}));
  }
}

// What docker includes because the default capability set lacks CAP_SYS_ADMIN (and
// has CAP_SYS_CHROOT); the groups for every other capability drop out.
void add_capability_rules(std::vector<SeccompSyscall>& rules) {
  rules.push_back(allow_if(
      "clone", SeccompArg{.index = 0, .value = kCloneNamespaceFlags, .value_two = 0, .op = "SCMP_CMP_MASKED_EQ"}));
  // ENOSYS, not EPERM, so that glibc falls back to clone(2), whose flags can be checked.
  SeccompSyscall clone3;
  clone3.names = {"clone3"};
  clone3.action = SeccompAction::kErrno;
  clone3.errno_ret = ENOSYS;
  rules.push_back(std::move(clone3));
  constexpr std::string_view kChroot[] = {"chroot"};
  rules.push_back(allow(kChroot));
}

}  // namespace

Seccomp default_seccomp_profile() {
  Seccomp profile;
  profile.default_action = SeccompAction::kErrno;
  profile.default_errno_ret = EPERM;
  profile.architectures = to_strings(kArchitectures);
  profile.syscalls.push_back(allow(kAllowed));
  profile.syscalls.push_back(allow(kAllowedSinceKernel48));
  add_argument_rules(profile.syscalls);
  profile.syscalls.push_back(allow(kArchSpecific));
  add_capability_rules(profile.syscalls);
  return profile;
}

}  // namespace berth::oci
