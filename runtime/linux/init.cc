#include "runtime/linux/init.h"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
#include "runtime/linux/console.h"
#include "runtime/linux/hooks.h"
#include "runtime/linux/sync.h"

namespace berth::rt {
namespace {

Status join_namespaces(const InitConfig& c) {
  for (const auto& j : c.joins) {
    if (::setns(j.fd, j.flag) != 0) return Error::from_errno("join namespace " + j.path);
    ::close(j.fd);
  }
  return ok();
}

Status write_time_offsets(const oci::Linux& lx) {
  std::string text;
  for (const auto& [clock, off] : lx.time_offsets) {
    text += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
  }
  if (text.empty()) return ok();
  return write_existing("/proc/self/timens_offsets", text).context("set time namespace offsets");
}

// A new time namespace applies to children only: unshare, set offsets, then enter it.
Status enter_new_time_ns(const InitConfig& c) {
  if (::unshare(CLONE_NEWTIME) != 0) return Error::from_errno("unshare the time namespace");
  if (c.spec->linux) BERTH_TRY(write_time_offsets(*c.spec->linux));
  UniqueFd fd(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
  if (!fd || ::setns(fd.get(), CLONE_NEWTIME) != 0) return Error::from_errno("enter the new time namespace");
  return ok();
}

Status set_names(const InitConfig& c) {
  const oci::Spec& s = *c.spec;
  if (!s.hostname.empty() && ::sethostname(s.hostname.data(), s.hostname.size()) != 0) {
    return Error::from_errno("sethostname " + s.hostname);
  }
  if (!s.domainname.empty() && ::setdomainname(s.domainname.data(), s.domainname.size()) != 0) {
    return Error::from_errno("setdomainname " + s.domainname);
  }
  return ok();
}

// Everything up to pivot_root, with the parent's hooks in between.
Status setup_namespaces(InitConfig& c, std::string& hook_state) {
  BERTH_TRY(sync_expect(c.sync_fd, SyncType::kGo, "runtime"));
  if (c.new_user_ns && (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)) {
    return Error::from_errno("become root in the user namespace");
  }
  BERTH_TRY(join_namespaces(c));
  if (c.unshare_flags != 0 && ::unshare(c.unshare_flags) != 0) return Error::from_errno("unshare namespaces");
  if (c.new_time_ns) BERTH_TRY(enter_new_time_ns(c));
  ::setsid();
  if (!c.no_new_keyring && ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS) {
    return Error::from_errno("join a new session keyring");
  }
  bool in_cgroups = false;
  auto await_cgroups = [&]() -> Status {
    if (in_cgroups) return ok();
    in_cgroups = true;
    BERTH_TRY(sync_expect(c.sync_fd, SyncType::kCgroupsJoined, "runtime"));
    if (c.new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) != 0) return Error::from_errno("unshare the cgroup namespace");
    return ok();
  };
  UniqueFd root;
  if (c.new_mount_ns) {
    BERTH_ASSIGN(root, prepare_rootfs(c.rootfs, await_cgroups));
  }
  BERTH_TRY(await_cgroups());
  BERTH_TRY(sync_send(c.sync_fd, SyncType::kReadyForHooks));
  BERTH_ASSIGN(auto done, sync_expect(c.sync_fd, SyncType::kHooksDone, "runtime"));
  hook_state = std::move(done.payload);
  BERTH_TRY(run_hooks(c.spec->hooks.create_container, hook_state, "createContainer"));
  if (c.new_mount_ns) {
    BERTH_TRY(enter_rootfs(c.rootfs));
    BERTH_TRY(finish_rootfs(c.rootfs));
  } else if (::chroot(c.rootfs.rootfs.c_str()) != 0 || ::chdir("/") != 0) {
    return Error::from_errno("chroot " + c.rootfs.rootfs);
  }
  if (c.new_uts_ns) BERTH_TRY(set_names(c));
  return ok();
}

// A filter with a notify listener is installed now, not just before exec: the listener
// fd must reach the seccomp agent while the runtime is still there to send it.
Status install_listener_filter(InitConfig& c) {
  if (!c.process.seccomp || !c.process.seccomp->needs_listener) return ok();
  BERTH_ASSIGN(int listener, install_seccomp(*c.process.seccomp));
  c.process.seccomp.reset();
  auto st = sync_send(c.sync_fd, SyncType::kSeccompFd, {}, listener);
  ::close(listener);
  return st;
}

Status create_phase(InitConfig& c, std::string& hook_state) {
  BERTH_TRY(setup_namespaces(c, hook_state));
  if (c.process.terminal) {
    bool bind = c.new_mount_ns;
    BERTH_TRY(setup_console(c.console_socket_fd, bind, c.process.console_size));
    ::close(c.console_socket_fd);
  }
  // cwd must exist now, while errors still reach the caller of `create`.
  struct stat st {};
  if (::stat(c.process.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Error(ENOENT, "process.cwd " + c.process.cwd + ": not a directory in the container");
  }
  BERTH_TRY(apply_process_limits(c.process));
  return install_listener_filter(c);
}

// Blocks until `start` opens the fifo for reading, then tells it we are going. The fifo
// is reached through an fd on its host directory: the container may have no /proc.
// The write end stays open (close-on-exec): `start` sees EOF once the user process runs.
Result<int> wait_for_start(int fifo_dir_fd) {
  int fd = ::openat(fifo_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("open exec fifo");
  ::close(fifo_dir_fd);
  char zero = '0';
  if (::write(fd, &zero, 1) != 1) return Error::from_errno("write exec fifo");
  return fd;
}

void report(int sync_fd, const Error& e) {
  if (sync_fd >= 0) {
    std::string payload(sizeof(int32_t), '\0');
    int32_t code = e.code();
    std::memcpy(payload.data(), &code, sizeof code);
    payload += e.message();
    (void)sync_send(sync_fd, SyncType::kError, payload);
    return;
  }
  std::string line = "berth-oci: container init: " + e.message() + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

Status finish_and_exec(const ProcessPlan& plan, int preserve_fds, dev_t self_dev, ino_t self_ino, int exec_marker_fd) {
  BERTH_TRY(apply_exec_labels(plan));
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it before dropping it.
  bool early_seccomp = !plan.no_new_privileges;
  if (early_seccomp && plan.seccomp) BERTH_TRY(install_seccomp(*plan.seccomp));
  BERTH_TRY(apply_identity(plan));
  BERTH_TRY(apply_nnp_and_seccomp(plan, !early_seccomp));
  if (plan.umask) ::umask(*plan.umask);
  // No fd of the runtime may reach the user process, nor its cwd (CVE-2024-21626).
  std::vector<int> keep;
  for (int fd = 3; fd < 3 + preserve_fds; ++fd) {
    ::fcntl(fd, F_SETFD, 0);
    keep.push_back(fd);
  }
  if (exec_marker_fd >= 0) keep.push_back(exec_marker_fd);  // a fifo: no way out through chdir
  close_fds_except(keep);
  BERTH_TRY(enter_cwd(plan));
  return exec_process(plan, self_dev, self_ino);
}

void container_init(InitConfig& c) {
  for (int fd : c.close_on_start) ::close(fd);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // Nobody in the container may open /proc/<init>/exe while this is still the runtime.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  std::string hook_state;
  Status st = create_phase(c, hook_state);
  // The runtime exits once we say "created": we must outlive it from here on.
  if (st) ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (st) st = sync_send(c.sync_fd, SyncType::kCreated);
  if (!st) {
    report(c.sync_fd, st.error());
    _exit(1);
  }
  ::close(c.sync_fd);
  int marker = -1;
  if (c.exec_fifo_fd >= 0) {
    auto fd = wait_for_start(c.exec_fifo_fd);
    if (fd)
      marker = *fd;
    else
      st = std::move(fd).error();
  }
  if (st) st = run_hooks(c.spec->hooks.start_container, hook_state, "startContainer");
  if (st) st = finish_and_exec(c.process, c.preserve_fds, c.self_dev, c.self_ino, marker);
  report(-1, st.error());
  _exit(127);
}

}  // namespace berth::rt
