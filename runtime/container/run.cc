// `run`: create and start in one process, then (unless detached) wait like a parent.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/file.h"
#include "runtime/container/container.h"
#include "runtime/linux/console.h"
#include "runtime/oci/spec.h"

namespace berth::container {
namespace {

volatile sig_atomic_t g_forward_pid = 0;

void forward_signal(int sig) {
  if (g_forward_pid > 0) ::kill(g_forward_pid, sig);
}

}  // namespace

void forward_signals_to(pid_t pid) {
  g_forward_pid = pid;
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  ::sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) ::sigaction(sig, &sa, nullptr);
}

Result<int> wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error::from_errno("wait for pid " + std::to_string(pid));
  }
  g_forward_pid = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

// runc's habit: a foreground run of a terminal container without --console-socket gets
// its pty proxied to our own stdin/stdout.
Result<bool> wants_own_pty(const CreateOptions& o, bool detach) {
  if (detach || !o.console_socket.empty()) return false;
  BERTH_ASSIGN(auto text, read_file(path_join(o.bundle.empty() ? "." : o.bundle, "config.json")));
  auto spec = oci::parse_spec(text);
  return spec && spec->process && spec->process->terminal;
}

Result<int> run(const CreateOptions& options, bool detach) {
  CreateOptions o = options;
  UniqueFd ours, theirs;
  BERTH_ASSIGN(bool own_pty, wants_own_pty(o, detach));
  if (own_pty) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return Error::from_errno("socketpair");
    ours.reset(pair[0]);
    theirs.reset(pair[1]);
    o.console_fd = theirs.get();
  }
  BERTH_ASSIGN(pid_t pid, create(o));
  theirs.reset();
  UniqueFd master;
  if (own_pty) {
    BERTH_ASSIGN(master, rt::receive_pty_master(ours.get()));
  }
  if (!detach) forward_signals_to(pid);
  if (auto st = start(o.root, o.id); !st) {
    (void)remove(o.root, o.id, true);
    return std::move(st).error();
  }
  if (detach) return 0;
  if (master) rt::proxy_pty(master.get());
  BERTH_ASSIGN(int code, wait_exit(pid));
  BERTH_TRY(remove(options.root, options.id, true));
  return code;
}

}  // namespace berth::container
