#include "tests/integration/support/fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "common/fd.h"
#include "common/file.h"
#include "common/strings.h"

#ifndef BERTH_OCI_BINARY
#error "BERTH_OCI_BINARY must name the built berth-oci (tests/CMakeLists.txt defines it)"
#endif
#ifndef BERTH_SOURCE_DIR
#error "BERTH_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

namespace berth::integration {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kFixtureTimeout{120};
constexpr std::chrono::milliseconds kExitPollInterval{10};  // used only without pidfd_open(2)

// Process-wide, so that two fixtures in one test never hand out the same id (cgroup names).
std::atomic<int> next_container_id{0};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) return Error::from_errno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is available now; closes `fd` at end of file or on error.
void read_available(UniqueFd& fd, std::string& into) {
  std::array<char, 16384> buf{};
  while (fd) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n > 0) {
      into.append(buf.data(), static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else {
      fd.reset();
    }
  }
}

// Writes as much of the rest of `data` as the pipe takes now; closes `fd` when all is written
// or the reader has gone (EPIPE: SIGPIPE is ignored in this process).
void write_available(UniqueFd& fd, std::string_view data, size_t& written) {
  while (fd && written < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + written, data.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else {
      fd.reset();
    }
  }
  fd.reset();
}

// Feeds stdin, reads stdout and stderr until `pid` exits or the timeout kills its process
// group; sets exit_code, out, err and timed_out.
void collect_until_exit(pid_t pid, UniqueFd& in, UniqueFd& out, UniqueFd& err, std::string_view stdin_data,
                        std::chrono::seconds timeout, RunResult& result) {
  for (const UniqueFd* fd : {&in, &out, &err}) {
    if (*fd) set_nonblocking(fd->get());
  }
  // A pidfd makes the child's exit wake poll(); without one (old kernels) poll ticks.
#ifdef SYS_pidfd_open
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#else
  UniqueFd pidfd;
#endif

  const auto deadline = Clock::now() + timeout;
  size_t written = 0;
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    if (!pidfd) left = std::min(left, std::chrono::duration_cast<std::chrono::milliseconds>(kExitPollInterval));
    std::vector<pollfd> fds;
    if (in) fds.push_back({in.get(), POLLOUT, 0});
    if (out) fds.push_back({out.get(), POLLIN, 0});
    if (err) fds.push_back({err.get(), POLLIN, 0});
    if (pidfd) fds.push_back({pidfd.get(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    write_available(in, stdin_data, written);
    read_available(out, result.out);
    read_available(err, result.err);
  }
  // What the process wrote before it exited is in the pipes; what its children write later is not waited for.
  read_available(out, result.out);
  read_available(err, result.err);
  result.exit_code = exit_code_of(status);
}

}  // namespace

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

Result<pid_t> spawn_in_own_group(const std::vector<std::string>& argv, int in, int out, int err) {
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));  // NOLINT: posix_spawn's signature
  cargv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  if (in >= 0) {
    posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
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
  if (rc != 0) return Error::from_errno("start " + argv[0], rc);
  return pid;
}

std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  os << "command: " << r.command << "\n";
  if (r.timed_out) {
    os << "timed out (killed)\n";
  } else {
    os << "exit code: " << r.exit_code << "\n";
  }
  return os << "stdout:\n" << r.out << "\nstderr:\n" << r.err << "\n";
}

RunResult run_cmd(const std::vector<std::string>& argv, const std::string& stdin_data, std::chrono::seconds timeout) {
  RunResult result;
  result.command = join(argv, " ");
  if (argv.empty()) {
    result.exit_code = 127;
    result.err = "run_cmd: empty argv";
    return result;
  }
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });

  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();
  for (const auto* p : {&in, &out, &err}) {
    if (!*p) {
      result.exit_code = 127;
      result.err = "run_cmd: " + p->error().message();
      return result;
    }
  }
  auto pid = spawn_in_own_group(argv, stdin_data.empty() ? -1 : in->read.get(), out->write.get(), err->write.get());
  in->read.reset();
  out->write.reset();
  err->write.reset();
  if (stdin_data.empty()) in->write.reset();
  if (!pid) {
    result.exit_code = 127;
    result.err = "run_cmd: " + pid.error().message();
    return result;
  }
  collect_until_exit(*pid, in->write, out->read, err->read, stdin_data, timeout, result);
  return result;
}

// The environment overrides the paths compiled in, so that a test binary built here can run
// from a copied tree on another host (scripts/gpu-host-check.sh).
namespace {
std::string from_env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}
}  // namespace

std::string berth_oci_binary() { return from_env_or("BERTH_OCI_BINARY", BERTH_OCI_BINARY); }
std::string fixture_script() {
  return from_env_or("BERTH_SOURCE_DIR", BERTH_SOURCE_DIR) + "/scripts/make-busybox-fixture.sh";
}

BundleFixture::BundleFixture(const BundleOptions& options) {
  std::string tmpl = "/tmp/berth-it-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    error_ = "mkdtemp " + tmpl + ": " + std::strerror(errno);
    return;
  }
  dir_ = tmpl;
  bundle_ = dir_ + "/bundle";
  state_root_ = dir_ + "/state";
  // mkdtemp makes 0700: a container whose user is not root must still reach its rootfs.
  if (::chmod(dir_.c_str(), 0755) != 0 || ::mkdir(state_root_.c_str(), 0700) != 0) {
    error_ = "prepare " + dir_ + ": " + std::strerror(errno);
    return;
  }
  make_bundle(options);
}

// The runtime whose `spec` gives the base config.json: $BERTH_SPEC_RUNTIME, else the built
// berth-oci, else runc (remembered for this process once berth-oci's bundle has failed).
void BundleFixture::make_bundle(const BundleOptions& options) {
  static std::string chosen_runtime;
  const char* env = std::getenv("BERTH_SPEC_RUNTIME");
  const bool from_env = env != nullptr && *env != '\0';
  std::string runtime = from_env ? env : chosen_runtime.empty() ? berth_oci_binary() : chosen_runtime;

  auto make_with = [&](const std::string& rt) {
    std::vector<std::string> argv = {
        "bash", fixture_script(), "bundle", bundle_, "--runtime", rt, options.net ? "--net" : "--no-net"};
    if (options.tty) argv.emplace_back("--tty");
    argv.emplace_back("--");
    argv.insert(argv.end(), options.args.begin(), options.args.end());
    return run_cmd(argv, {}, kFixtureTimeout);
  };
  RunResult r = make_with(runtime);
  if (!r.ok() && !from_env && runtime != "runc") {
    runtime = "runc";
    r = make_with(runtime);
  }
  if (r.ok() && !from_env) chosen_runtime = runtime;
  if (!r.ok()) {
    std::ostringstream msg;
    msg << "making the busybox bundle failed\n" << r;
    error_ = msg.str();
  }
}

rapidjson::Document& BundleFixture::config() {
  if (config_loaded_) return config_;
  config_loaded_ = true;
  auto text = read_file(config_path());
  if (!text) {
    ADD_FAILURE() << text.error().message();
    config_.SetObject();
    return config_;
  }
  config_.Parse(text->c_str(), text->size());
  if (config_.HasParseError()) {
    ADD_FAILURE() << config_path() << ": " << rapidjson::GetParseError_En(config_.GetParseError()) << " at offset "
                  << config_.GetErrorOffset();
    config_.SetObject();
  }
  return config_;
}

void BundleFixture::save_config() {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buf);
  config().Accept(writer);
  if (auto st = write_file(config_path(), std::string_view(buf.GetString(), buf.GetSize())); !st) {
    ADD_FAILURE() << st.error().message();
  }
}

std::string BundleFixture::new_id(std::string_view prefix) {
  std::string id =
      "berth-it-" + std::to_string(::getpid()) + "-" + std::string(prefix) + std::to_string(++next_container_id);
  track(id);
  return id;
}

void BundleFixture::track(const std::string& id) {
  if (std::find(ids_.begin(), ids_.end(), id) == ids_.end()) ids_.push_back(id);
}

std::vector<std::string> BundleFixture::berth_oci_argv(const std::vector<std::string>& args) {
  runtime_used_ = true;
  // runc's grammar: the container id is the last argument of create and run.
  if (!args.empty() && (args.front() == "create" || args.front() == "run")) track(args.back());
  std::vector<std::string> argv = {berth_oci_binary(), "--root", state_root_};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

RunResult BundleFixture::berth_oci(const std::vector<std::string>& args, const std::string& stdin_data,
                                   std::chrono::seconds timeout) {
  return run_cmd(berth_oci_argv(args), stdin_data, timeout);
}

RunResult BundleFixture::berth_oci_with_fds(const std::string& redirections, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"sh", "-c", "exec " + redirections + "; exec \"$@\"", "sh"};
  std::vector<std::string> runtime = berth_oci_argv(args);
  argv.insert(argv.end(), runtime.begin(), runtime.end());
  return run_cmd(argv);
}

RunResult run_container(BundleFixture& fx) { return fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id()}); }

std::vector<std::string> mount_points_under(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::vector<std::string> fields = split(line, ' ');
    if (fields.size() > 4 && (fields[4] == dir || starts_with(fields[4], dir + "/"))) out.push_back(fields[4]);
  }
  return out;
}

void BundleFixture::delete_containers() {
  if (!runtime_used_) return;
  std::vector<std::string> ids = ids_;
  // Containers the test did not name through this fixture are deleted too.
  if (RunResult listed = berth_oci({"list", "-q"}); listed.ok()) {
    for (const auto& id : split(listed.out, '\n')) {
      if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
  for (const auto& id : ids) (void)berth_oci({"delete", "--force", id}, {}, std::chrono::seconds(60));
  if (RunResult left = berth_oci({"list", "-q"}); left.ok() && !trim(left.out).empty()) {
    ADD_FAILURE() << "containers left in " << state_root_ << " after delete --force:\n" << left.out;
  }
}

// A mount under the temp dir is a leak (the runtime should have undone it): report it, then
// detach it so that removing the directory never crosses into another file system.
void BundleFixture::detach_leftover_mounts() {
  std::vector<std::string> leaked = mount_points_under(dir_);
  std::erase(leaked, dir_);
  if (leaked.empty()) return;
  std::sort(leaked.rbegin(), leaked.rend());  // deepest first
  ADD_FAILURE() << "mounts left under " << dir_ << ": " << join(leaked, ", ");
  for (const auto& m : leaked) ::umount2(m.c_str(), MNT_DETACH);
}

BundleFixture::~BundleFixture() {  // NOLINT(bugprone-exception-escape): see the header
  if (dir_.empty()) return;
  delete_containers();
  detach_leftover_mounts();
  if (auto st = remove_tree(dir_); !st) ADD_FAILURE() << "clean-up: " << st.error().message();
}

}  // namespace berth::integration
