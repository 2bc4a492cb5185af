// `exec`: a new process inside a running container's namespaces and cgroups.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "common/strings.h"
#include "runtime/container/container.h"
#include "runtime/linux/console.h"
#include "runtime/linux/init.h"
#include "runtime/linux/launcher.h"

namespace berth::container {
namespace {

constexpr const char* kNamespaceTypes[] = {"user", "ipc", "uts", "network", "cgroup", "time", "mount"};

struct Joined {
  std::vector<std::pair<int, UniqueFd>> fds;  // flag, fd; user first, mount last
  UniqueFd pid;
};

bool same_namespace(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Result<Joined> open_namespaces(pid_t pid) {
  Joined out;
  std::string base = "/proc/" + std::to_string(pid) + "/ns/";
  auto open_ns = [&](const char* type) -> Result<UniqueFd> {
    std::string name = rt::namespace_proc_name(type);
    if (!path_exists(base + name) || same_namespace(base + name, "/proc/self/ns/" + name)) return UniqueFd();
    UniqueFd fd(::open((base + name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno("open " + base + name);
    return fd;
  };
  for (const char* type : kNamespaceTypes) {
    BERTH_ASSIGN(UniqueFd fd, open_ns(type));
    if (fd) out.fds.emplace_back(rt::namespace_flag(type), std::move(fd));
  }
  BERTH_ASSIGN(out.pid, open_ns("pid"));
  return out;
}

void merge_env(std::vector<std::string>& env, const std::vector<std::string>& extra) {
  for (const auto& e : extra) {
    auto key = e.substr(0, e.find('=') + 1);
    std::erase_if(env, [&](const std::string& x) { return starts_with(x, key); });
    env.push_back(e);
  }
}

Status apply_user(oci::Process& p, const std::string& user) {
  auto parts = split(user, ':');
  auto uid = parse_uint(parts[0]);
  if (!uid || parts.size() > 2) return Error(EINVAL, "--user \"" + user + "\": want uid[:gid] as numbers");
  p.user.uid = static_cast<uint32_t>(*uid);
  if (parts.size() == 2) {
    auto gid = parse_uint(parts[1]);
    if (!gid) return Error(EINVAL, "--user \"" + user + "\": gid is not a number");
    p.user.gid = static_cast<uint32_t>(*gid);
  }
  return ok();
}

Result<oci::Process> exec_process_spec(const ExecOptions& o, const oci::Spec& spec) {
  if (!o.process_file.empty()) {
    BERTH_ASSIGN(auto text, read_file(o.process_file));
    return oci::parse_process(text).context(o.process_file);
  }
  if (o.args.empty()) return Error(EINVAL, "exec needs a command (or --process FILE)");
  oci::Process p = spec.process ? *spec.process : oci::Process{};
  p.args = o.args;
  p.terminal = o.tty;
  p.console_size.reset();
  merge_env(p.env, o.env);
  if (!o.cwd.empty()) p.cwd = o.cwd;
  if (!o.user.empty()) BERTH_TRY(apply_user(p, o.user));
  if (!o.additional_gids.empty()) p.user.additional_gids = o.additional_gids;
  if (o.no_new_privs) p.no_new_privileges = true;
  if (!o.apparmor.empty()) p.apparmor_profile = o.apparmor;
  if (!o.process_label.empty()) p.selinux_label = o.process_label;
  if (!o.caps.empty()) {
    if (!p.capabilities) p.capabilities = oci::Capabilities{};
    auto& c = *p.capabilities;
    for (const auto& cap : o.caps) {
      for (auto* set : {&c.bounding, &c.effective, &c.permitted, &c.ambient, &c.inheritable}) set->push_back(cap);
    }
  }
  return p;
}

[[noreturn]] void exec_child(Joined& ns, const rt::ProcessPlan& plan, int go_fd, int err_fd, int console_fd,
                             int preserve_fds, dev_t dev, ino_t ino) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  char go;
  Status st;
  if (::read(go_fd, &go, 1) != 1) st = Error(EPIPE, "runtime went away");
  for (auto& [flag, fd] : ns.fds) {
    if (st && ::setns(fd.get(), flag) != 0) st = Error::from_errno("join namespace");
    fd.reset();
  }
  // A new session first: only a session leader may take a controlling terminal.
  if (st) ::setsid();
  if (st && plan.terminal) st = rt::setup_console(console_fd, false, plan.console_size);
  if (st) st = rt::apply_process_limits(plan);
  // The error pipe is close-on-exec: it stays open until execve, so every failure reaches
  // the caller and a clean EOF means the process runs.
  if (st) st = rt::finish_and_exec(plan, preserve_fds, dev, ino, err_fd);
  std::string msg = st.error().message();
  (void)!::write(err_fd, msg.data(), msg.size());
  _exit(127);
}

}  // namespace

Result<int> exec(const ExecOptions& o) {
  BERTH_ASSIGN(StateView view, state(o.root, o.id));
  if (view.status == "stopped") return Error(EINVAL, "cannot exec in a stopped container \"" + o.id + "\"");
  if (view.status == "paused" && !o.ignore_paused) {
    return Error(EINVAL, "cannot exec in a paused container \"" + o.id + "\" (use --ignore-paused to override)");
  }
  StatePaths paths(o.root, o.id);
  BERTH_ASSIGN(auto text, read_file(paths.config()));
  BERTH_ASSIGN(oci::Spec spec, oci::parse_spec(text));
  BERTH_ASSIGN(oci::Process process, exec_process_spec(o, spec));
  const oci::Linux* lx = spec.linux ? &*spec.linux : nullptr;
  BERTH_ASSIGN(rt::ProcessPlan plan, rt::plan_process(process, lx && lx->seccomp ? &*lx->seccomp : nullptr,
                                                      lx && lx->personality ? &*lx->personality : nullptr));
  UniqueFd console;
  if (plan.terminal) {
    if (o.console_socket.empty()) return Error(EINVAL, "--tty needs a --console-socket to receive the pty");
    BERTH_ASSIGN(console, rt::connect_console_socket(o.console_socket));
  }
  BERTH_ASSIGN(Joined ns, open_namespaces(view.record.pid));
  dev_t dev;
  ino_t ino;
  BERTH_TRY(rt::self_binary(dev, ino));
  int go[2], err[2];
  if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return Error::from_errno("pipe");
  UniqueFd go_r(go[0]), go_w(go[1]), err_r(err[0]), err_w(err[1]);
  if (ns.pid && ::setns(ns.pid.get(), CLONE_NEWPID) != 0)
    return Error::from_errno("join the container's pid namespace");
  auto pid = static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, 0));
  if (pid < 0) return Error::from_errno("fork");
  if (pid == 0) exec_child(ns, plan, go_r.get(), err_w.get(), console.get(), o.preserve_fds, dev, ino);
  err_w.reset();
  cgroups::CgroupSet set(view.record.cgroups);
  if (auto st = set.add_process(pid); !st) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return std::move(st).error();
  }
  (void)!::write(go_w.get(), "g", 1);
  auto message = read_fd(err_r.get());
  if (message && !message->empty()) {
    ::waitpid(pid, nullptr, 0);
    return Error(EINVAL, "exec in container \"" + o.id + "\": " + *message);
  }
  if (!o.pid_file.empty()) {
    BERTH_ASSIGN(auto abs, absolute_path(o.pid_file));
    BERTH_TRY(write_file_atomic(abs, std::to_string(pid), 0644, Durability::kVolatile));
  }
  if (o.detach) return 0;
  forward_signals_to(pid);
  return wait_exit(pid);
}

}  // namespace berth::container
