// Support for the peer tests (podman, containerd driving berth-oci): background daemons, a
// private mount namespace to run a peer in, lowercase temp dirs, and clean-up of the cgroups
// and processes a peer leaves. Test code only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/integration/support/cgroups.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {

// The absolute path of `name` found in PATH, or "" when it is not installed.
std::string find_program(const std::string& name);

// A process started in the background (a daemon, a namespace holder) in a process group of
// its own, stdin from /dev/null, stdout and stderr appended to a log file. The destructor
// stops it; so does stop(): SIGTERM to its pid, then SIGKILL after `grace`.
class BackgroundProcess {
 public:
  BackgroundProcess() = default;
  ~BackgroundProcess() { stop(); }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  BackgroundProcess(BackgroundProcess&&) = delete;
  BackgroundProcess& operator=(BackgroundProcess&&) = delete;

  // Returns "" on success, else why it could not start.
  std::string start(const std::vector<std::string>& argv, const std::string& log_path);
  [[nodiscard]] pid_t pid() const { return pid_; }
  // True while the process has not exited (reaps it when it has).
  bool running();
  // The exit code as RunResult counts it (128 + N for signal N); -1 when it was not started.
  int stop(std::chrono::seconds grace = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// A mount namespace of its own, held by a sleeping `unshare --mount --propagation private`.
// Commands wrapped by wrap() run in it (through nsenter): they see the host's files, but what
// is mounted in it never reaches the host and goes away with the last process in it. The peer
// tests mount tmpfs over the host paths a peer would otherwise write to (/run, its caches).
class PrivateMountNamespace {
 public:
  PrivateMountNamespace();
  PrivateMountNamespace(const PrivateMountNamespace&) = delete;
  PrivateMountNamespace& operator=(const PrivateMountNamespace&) = delete;
  PrivateMountNamespace(PrivateMountNamespace&&) = delete;
  PrivateMountNamespace& operator=(PrivateMountNamespace&&) = delete;
  ~PrivateMountNamespace() = default;  // the holder is stopped by its BackgroundProcess

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] pid_t holder_pid() const { return holder_pid_; }

  // argv run inside the namespace: nsenter --mount=/proc/HOLDER/ns/mnt -- argv...
  [[nodiscard]] std::vector<std::string> wrap(const std::vector<std::string>& argv) const;
  RunResult run(const std::vector<std::string>& argv, std::chrono::seconds timeout = std::chrono::seconds(60)) const;
  // Mounts a fresh tmpfs over the directory `path` in the namespace; "" on success.
  std::string mount_tmpfs(const std::string& path) const;

 private:
  std::string error_;
  std::string log_;
  pid_t holder_pid_ = -1;
  BackgroundProcess holder_;
};

// Makes a fresh 0755 directory /tmp/<prefix><random lowercase letters and digits>: podman
// names an image pulled from oci:DIR after DIR, and image names must be lowercase.
// Returns "" (and sets `error`) on failure.
std::string make_lowercase_temp_dir(std::string_view prefix, std::string& error);

// SIGKILLs, by pid, every process (other than this one) whose command line contains
// `needle`: the shims and monitors a peer daemon left behind. Returns the pids killed.
std::vector<pid_t> kill_processes_mentioning(const std::string& needle);

// `text` with every "@NAME@" of `values` replaced: config file templates.
std::string substitute(std::string text, const std::vector<std::pair<std::string, std::string>>& values);

// The last `max_bytes` of a file, for failure messages.
std::string tail_of_file(const std::string& path, size_t max_bytes = 4000);

}  // namespace berth::integration
