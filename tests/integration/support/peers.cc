#include "tests/integration/support/peers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <thread>

#include "common/fd.h"
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
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log) return "open " + log_path + ": " + std::strerror(errno);
  auto pid = spawn_in_own_group(argv, -1, log.get(), log.get());
  if (!pid) return pid.error().message();
  pid_ = *pid;
  exit_code_ = -1;
  return {};
}

bool BackgroundProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) exit_code_ = exit_code_of(status);
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
  if (::waitpid(pid_, &status, 0) == pid_) exit_code_ = exit_code_of(status);
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
