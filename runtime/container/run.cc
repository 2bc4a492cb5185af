// `run`: create and start in one process, then (unless detached) wait like a parent.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/container/container.h"

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

Result<int> run(const CreateOptions& options, bool detach) {
  BERTH_ASSIGN(pid_t pid, create(options));
  if (!detach) forward_signals_to(pid);
  if (auto st = start(options.root, options.id); !st) {
    (void)remove(options.root, options.id, true);
    return std::move(st).error();
  }
  if (detach) return 0;
  BERTH_ASSIGN(int code, wait_exit(pid));
  BERTH_TRY(remove(options.root, options.id, true));
  return code;
}

}  // namespace berth::container
