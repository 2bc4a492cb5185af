#include "bench/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "common/fd.h"
#include "common/file.h"

namespace berth::bench {
namespace {

std::string describe(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// fork + exec with stdin from /dev/null and output appended to `log`, in a new process group.
Result<pid_t> spawn(const std::vector<std::string>& argv, const std::string& log) {
  BERTH_ASSIGN(UniqueFd out, open_path(log, O_WRONLY | O_CREAT | O_APPEND, 0644));
  BERTH_ASSIGN(UniqueFd in, open_path("/dev/null", O_RDONLY));
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno("fork for " + describe(argv));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in.get(), 0);
    ::dup2(out.get(), 1);
    ::dup2(out.get(), 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

std::string log_tail(const std::string& log) {
  auto text = read_file(log);
  if (!text) return "";
  return text->size() > 2000 ? text->substr(text->size() - 2000) : *text;
}

double cpu_ms(int who) {
  rusage ru{};
  ::getrusage(who, &ru);
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  return ms(ru.ru_utime) + ms(ru.ru_stime);
}

}  // namespace

double self_cpu_ms() { return cpu_ms(RUSAGE_SELF); }
double children_cpu_ms() { return cpu_ms(RUSAGE_CHILDREN); }

double process_cpu_ms(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return 0;
  // Fields after the command name (which may hold spaces) in parentheses: utime is 14th overall.
  std::istringstream rest(stat->substr(stat->rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks * 1e3 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

Status run_command(const std::vector<std::string>& argv, const std::string& log) {
  BERTH_ASSIGN(pid_t pid, spawn(argv, log));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error::from_errno("wait for " + describe(argv));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok();
  return Error(EIO, describe(argv) + ": exit status " + std::to_string(status) + "; " + log + ":\n" + log_tail(log));
}

Result<Daemon> Daemon::start(const std::vector<std::string>& argv, const std::string& log) {
  BERTH_ASSIGN(pid_t pid, spawn(argv, log));
  return Daemon(pid);
}

bool Daemon::running() {
  if (pid_ <= 0) return false;
  if (::waitpid(pid_, nullptr, WNOHANG) == 0) return true;
  pid_ = -1;
  return false;
}

void Daemon::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  for (int i = 0; i < 1000; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace berth::bench
