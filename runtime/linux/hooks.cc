#include "runtime/linux/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "common/fd.h"
#include "common/file.h"

namespace berth::rt {
namespace {

[[noreturn]] void exec_hook(const oci::Hook& hook, int stdin_fd) {
  ::dup2(stdin_fd, 0);
  std::vector<char*> argv, envp;
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<std::string> env = hook.env;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  ::execve(hook.path.c_str(), argv.data(), envp.data());
  _exit(127);
}

// Waits for `pid` up to `timeout_s` seconds (none when negative); kills it on timeout.
Result<int> wait_hook(pid_t pid, int timeout_s) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd && timeout_s > 0) {
    pollfd p{pidfd.get(), POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, timeout_s * 1000);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return Error(ETIMEDOUT, "timed out after " + std::to_string(timeout_s) + " s");
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error::from_errno("wait");
  }
  return status;
}

}  // namespace

Status run_hook(const oci::Hook& hook, std::string_view state_json, std::string_view kind) {
  std::string what = std::string(kind) + " hook " + hook.path;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Error::from_errno(what + ": pipe");
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno(what + ": fork");
  if (pid == 0) exec_hook(hook, read_end.get());
  read_end.reset();
  // A hook that does not read its stdin must not block us: ignore EPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  (void)write_all(write_end.get(), state_json, "hook stdin");
  write_end.reset();
  auto status = wait_hook(pid, hook.timeout_seconds ? *hook.timeout_seconds : -1);
  if (!status) return std::move(status).error().context(what);
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return ok();
  if (WIFEXITED(*status)) {
    if (WEXITSTATUS(*status) == 127) return Error(ENOENT, what + ": could not be executed (exit status 127)");
    return Error(ECANCELED, what + ": exit status " + std::to_string(WEXITSTATUS(*status)));
  }
  return Error(ECANCELED, what + ": killed by signal " + std::to_string(WTERMSIG(*status)));
}

Status run_hooks(const std::vector<oci::Hook>& hooks, std::string_view state_json, std::string_view kind) {
  for (const auto& h : hooks) BERTH_TRY(run_hook(h, state_json, kind));
  return ok();
}

}  // namespace berth::rt
