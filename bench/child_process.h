// Commands run by image_pull_bench: a peer's CLI timed to its exit, or a daemon (containerd)
// started in its own process group and stopped by its pid. Output goes to a log file so a
// failure can be shown. Bench code only.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"

namespace berth::bench {

// Runs `argv` (PATH searched) to its end with stdout and stderr appended to `log`; an
// error names the command, its exit status and the log's tail.
Status run_command(const std::vector<std::string>& argv, const std::string& log);

// CPU time (user + system) so far: of this process (all its threads), of its reaped
// children, and of the live process `pid` (from /proc/PID/stat; 0 if it cannot be read).
double self_cpu_ms();
double children_cpu_ms();
double process_cpu_ms(pid_t pid);

// A child that lives until stop() or the destructor: SIGTERM to its group, then a wait
// (SIGKILL after 10 s).
class Daemon {
 public:
  static Result<Daemon> start(const std::vector<std::string>& argv, const std::string& log);
  Daemon(Daemon&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  Daemon& operator=(Daemon&&) = delete;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon() { stop(); }

  void stop();
  [[nodiscard]] pid_t pid() const { return pid_; }
  // false once it has exited (it is then reaped).
  [[nodiscard]] bool running();

 private:
  explicit Daemon(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace berth::bench
