// Support for integration tests: a private bundle and berth-oci state root per test, command
// runs with captured output and a timeout, and clean-up that leaves nothing behind (containers
// force-deleted, stray mounts detached, the temp dir removed). Test code only: it spawns
// processes and expects the berth-oci built beside the tests.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::integration {

struct RunResult {
  // The exit status; 128 + N when killed by signal N; 127 when the program could not start.
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
  std::string command;  // argv joined by spaces, for messages

  [[nodiscard]] bool ok() const { return exit_code == 0 && !timed_out; }
};

// Prints the command, its exit status and its output: `ASSERT_TRUE(r.ok()) << r;`.
std::ostream& operator<<(std::ostream& os, const RunResult& r);

// Runs argv (argv[0] looked up in PATH) in a process group of its own, feeding it stdin_data
// (or /dev/null when empty), and collects stdout and stderr separately. Returns when the
// process exits, even if something it started keeps the pipes open (a detached container);
// after `timeout` the whole process group is killed and timed_out is set.
RunResult run_cmd(const std::vector<std::string>& argv, const std::string& stdin_data = {},
                  std::chrono::seconds timeout = std::chrono::seconds(30));

// Starts argv (argv[0] looked up in PATH) in a process group of its own, with default signal
// dispositions and an empty signal mask; stdin from `in` (-1: /dev/null), stdout and stderr
// on `out` and `err`. The caller reaps it.
Result<pid_t> spawn_in_own_group(const std::vector<std::string>& argv, int in, int out, int err);

// A wait(2) status as RunResult counts it: the exit status, 128 + N when killed by signal N.
int exit_code_of(int wait_status);

// What the busybox bundle runs and how (scripts/make-busybox-fixture.sh bundle).
struct BundleOptions {
  std::vector<std::string> args = {"sh"};
  bool net = true;  // a private network namespace; false shares the host's network
  bool tty = false;
};

// One temp dir /tmp/berth-it-XXXXXX holding a busybox bundle (bundle/) and a private
// berth-oci state root (state/). Set-up failures are reported by ok()/error():
//   BundleFixture fx({.args = {"echo", "hi"}});
//   ASSERT_TRUE(fx.ok()) << fx.error();
//   auto r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id()});
class BundleFixture {
 public:
  explicit BundleFixture(const BundleOptions& options = {});
  // Only std::bad_alloc could escape (from a failure message): terminating is then right.
  ~BundleFixture();  // NOLINT(bugprone-exception-escape)
  BundleFixture(const BundleFixture&) = delete;
  BundleFixture& operator=(const BundleFixture&) = delete;
  BundleFixture(BundleFixture&&) = delete;
  BundleFixture& operator=(BundleFixture&&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }

  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] const std::string& bundle() const { return bundle_; }
  [[nodiscard]] std::string rootfs() const { return bundle_ + "/rootfs"; }
  [[nodiscard]] std::string config_path() const { return bundle_ + "/config.json"; }
  [[nodiscard]] const std::string& state_root() const { return state_root_; }

  // config.json, parsed on first use; edit it in place, then save_config(). A load or save
  // failure is reported as a test failure.
  rapidjson::Document& config();
  void save_config();

  // A container id unique to this process ("berth-it-<pid>-<prefix><n>"), tracked for clean-up.
  std::string new_id(std::string_view prefix = "c");
  // Tracks an id for force-deletion at clean-up (create and run ids are tracked by berth_oci).
  void track(const std::string& id);

  // Runs the built berth-oci with `--root state_root()` before args.
  RunResult berth_oci(const std::vector<std::string>& args, const std::string& stdin_data = {},
                      std::chrono::seconds timeout = std::chrono::seconds(30));
  // Runs berth_oci(args) through a shell that first opens `redirections` ("3</etc/hostname
  // 7</"): fds a careless caller leaves open for the runtime to inherit.
  RunResult berth_oci_with_fds(const std::string& redirections, const std::vector<std::string>& args);

 private:
  std::vector<std::string> berth_oci_argv(const std::vector<std::string>& args);
  void make_bundle(const BundleOptions& options);
  void delete_containers();
  void detach_leftover_mounts();

  std::string error_;
  std::string dir_;
  std::string bundle_;
  std::string state_root_;
  rapidjson::Document config_;
  bool config_loaded_ = false;
  bool runtime_used_ = false;
  std::vector<std::string> ids_;
};

// Runs the bundle's container in the foreground under a new id: `run --bundle <bundle> <id>`.
RunResult run_container(BundleFixture& fx);

// The mount points of this process (field 5 of /proc/self/mountinfo) at or below `dir`.
std::vector<std::string> mount_points_under(const std::string& dir);

// The built berth-oci, and the fixture builder script of this source tree.
std::string berth_oci_binary();
std::string fixture_script();

}  // namespace berth::integration

// Skips the current test (or SetUp) unless running as root, with the reason.
// NOLINTNEXTLINE(readability-identifier-naming): named like the function it reads as.
#define skip_unless_root()                                                                        \
  do {                                                                                            \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (euid " << ::geteuid() << "): run as root"; \
  } while (0)
