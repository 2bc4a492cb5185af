#include "tests/integration/support/peers.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "common/file.h"
#include "common/strings.h"

namespace berth::integration {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPoll{20};

std::string read_link(const std::string& path) {
  std::string buf(4096, '\0');
  ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
  if (n < 0) return {};
  buf.resize(static_cast<size_t>(n));
  return buf;
}

// The mount points of the cgroup hierarchies: one per super block, the mount of its root
// ("/"), so that a bind of a sub-cgroup somewhere else (a container's view) is never taken.
std::vector<std::string> cgroup_mount_points() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::vector<std::string> points;
  std::vector<std::string> seen_devices;
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::vector<std::string> f = split(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (dash == f.end() || dash + 1 == f.end() || f.size() < 5) continue;
    const std::string& fstype = *(dash + 1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    if (f[3] != "/") continue;
    if (std::find(seen_devices.begin(), seen_devices.end(), f[2]) != seen_devices.end()) continue;
    seen_devices.push_back(f[2]);
    points.push_back(f[4]);
  }
  return points;
}

// Directories under `dir` (itself included), deepest first.
void collect_dirs_post_order(const std::string& dir, std::vector<std::string>& out) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == ".." || e->d_type != DT_DIR) continue;
      std::string sub = dir;
      sub += '/';
      sub += name;
      collect_dirs_post_order(sub, out);
    }
    ::closedir(d);
  }
  out.push_back(dir);
}

void kill_cgroup_members(const std::string& dir) {
  auto procs = read_file(dir + "/cgroup.procs");
  if (!procs) return;
  for (const auto& line : split(*procs, '\n')) {
    if (auto pid = parse_uint(trim(line)); pid && *pid > 0) ::kill(static_cast<pid_t>(*pid), SIGKILL);
  }
}

}  // namespace

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& dir : split(dirs, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir;
    candidate += '/';
    candidate += name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

std::string BackgroundProcess::start(const std::vector<std::string>& argv, const std::string& log_path) {
  if (pid_ > 0) return "already started";
  if (argv.empty()) return "empty argv";
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));  // NOLINT: posix_spawn's signature
  cargv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, cargv[0], &actions, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return "start " + argv[0] + ": " + std::strerror(rc);
  pid_ = pid;
  exit_code_ = -1;
  return {};
}

bool BackgroundProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  }
  pid_ = -1;
  return false;
}

int BackgroundProcess::stop(std::chrono::seconds grace) {
  if (!running()) return exit_code_;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    if (!running()) return exit_code_;
    std::this_thread::sleep_for(kPoll);
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_) exit_code_ = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  pid_ = -1;
  return exit_code_;
}

PrivateMountNamespace::PrivateMountNamespace() {
  for (const char* tool : {"unshare", "nsenter", "mount"}) {
    if (find_program(tool).empty()) {
      error_ = std::string(tool) + " (util-linux) is not installed";
      return;
    }
  }
  // The holder ends by itself after a while should a crashed test leave it behind.
  if (auto err = holder_.start({"unshare", "--mount", "--propagation", "private", "--", "sleep", "1800"}, "/dev/null");
      !err.empty()) {
    error_ = err;
    return;
  }
  const std::string own = read_link("/proc/self/ns/mnt");
  const std::string proc = "/proc/" + std::to_string(holder_.pid());
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  // unshare(1) exec's sleep once the namespace is made and its mounts are private.
  while (Clock::now() < deadline) {
    auto comm = read_file(proc + "/comm");
    if (comm && trim(*comm) == "sleep" && read_link(proc + "/ns/mnt") != own) {
      holder_pid_ = holder_.pid();
      return;
    }
    if (!holder_.running()) break;
    std::this_thread::sleep_for(kPoll);
  }
  error_ = "unshare --mount did not make a mount namespace (holder pid " + std::to_string(holder_.pid()) + ")";
  holder_.stop();
}

std::vector<std::string> PrivateMountNamespace::wrap(const std::vector<std::string>& argv) const {
  std::vector<std::string> out = {"nsenter", "--mount=/proc/" + std::to_string(holder_pid_) + "/ns/mnt", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

RunResult PrivateMountNamespace::run(const std::vector<std::string>& argv, std::chrono::seconds timeout) const {
  return run_cmd(wrap(argv), {}, timeout);
}

std::string PrivateMountNamespace::mount_tmpfs(const std::string& path) const {
  RunResult r = run({"mount", "-t", "tmpfs", "-o", "mode=0755", "berth-peer-test", path});
  if (r.ok()) return {};
  std::ostringstream msg;
  msg << "mount a tmpfs over " << path << " in the private mount namespace\n" << r;
  return msg.str();
}

std::string make_lowercase_temp_dir(std::string_view prefix, std::string& error) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::mt19937 gen(rd());
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string dir = "/tmp/" + std::string(prefix);
    for (int i = 0; i < 8; ++i) dir += kAlphabet[pick(gen)];
    if (::mkdir(dir.c_str(), 0755) == 0) {
      ::chmod(dir.c_str(), 0755);  // whatever the umask
      return dir;
    }
    if (errno != EEXIST) {
      error = "mkdir " + dir + ": " + std::strerror(errno);
      return {};
    }
  }
  error = "no free temp dir name for /tmp/" + std::string(prefix);
  return {};
}

std::string remove_cgroup_tree(const std::string& relative) {
  std::string rel = relative;
  while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
  if (!starts_with(rel, "berth") || rel.find("..") != std::string::npos) {
    return "refusing to remove cgroup " + relative + ": tests only touch cgroups named berth…\n";
  }
  std::string left;
  for (const auto& mp : cgroup_mount_points()) {
    std::string top = mp;
    top += '/';
    top += rel;
    if (!path_exists(top)) continue;
    std::vector<std::string> dirs;
    collect_dirs_post_order(top, dirs);
    for (const auto& dir : dirs) {
      const auto deadline = Clock::now() + std::chrono::seconds(5);
      for (;;) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
        if (errno != EBUSY || Clock::now() >= deadline) {
          left += dir + ": " + std::strerror(errno) + "\n";
          break;
        }
        kill_cgroup_members(dir);
        std::this_thread::sleep_for(kPoll);
      }
    }
  }
  return left;
}

std::vector<std::string> cgroup_dirs_below(const std::string& relative) {
  std::string rel = relative;
  while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
  std::vector<std::string> out;
  for (const auto& mp : cgroup_mount_points()) {
    std::string top = mp;
    top += '/';
    top += rel;
    if (!path_exists(top)) continue;
    std::vector<std::string> dirs;
    collect_dirs_post_order(top, dirs);
    dirs.pop_back();  // top itself
    out.insert(out.end(), dirs.begin(), dirs.end());
  }
  return out;
}

std::vector<pid_t> kill_processes_mentioning(const std::string& needle) {
  std::vector<pid_t> killed;
  if (needle.empty()) return killed;
  const pid_t self = ::getpid();
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return killed;
  while (dirent* e = ::readdir(d)) {
    auto pid = parse_uint(e->d_name);
    if (!pid || static_cast<pid_t>(*pid) == self) continue;
    auto cmdline = read_file(std::string("/proc/") + e->d_name + "/cmdline");
    if (!cmdline) continue;
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    if (cmdline->find(needle) == std::string::npos) continue;
    if (::kill(static_cast<pid_t>(*pid), SIGKILL) == 0) killed.push_back(static_cast<pid_t>(*pid));
  }
  ::closedir(d);
  return killed;
}

std::string substitute(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [name, value] : values) {
    const std::string key = "@" + name + "@";
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
      text.replace(at, key.size(), value);
    }
  }
  return text;
}

std::string tail_of_file(const std::string& path, size_t max_bytes) {
  auto text = read_file(path);
  if (!text) return "(" + path + ": " + text.error().message() + ")";
  if (text->size() <= max_bytes) return *text;
  return "…" + text->substr(text->size() - max_bytes);
}

}  // namespace berth::integration
