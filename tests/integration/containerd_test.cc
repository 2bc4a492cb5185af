// containerd (Debian's containerd 1.6) and its runc shim, io.containerd.runc.v2, driving
// berth-oci as the runc binary (`ctr run --runc-binary`, the shim's BinaryName option): the
// busybox image, imported from a tar of the OCI image layout that
// scripts/make-busybox-fixture.sh makes, is run attached and detached, exec'd into, killed
// and deleted.
//
// The containerd here is private: it is started by the test with a config file in the test's
// temp dir (its root, state, temp and opt dirs and its gRPC/ttrpc sockets there; no CRI
// plugin), runs in a private mount namespace with a tmpfs over /run (the shims' sockets in
// /run/containerd/s, ctr's fifos in /run/containerd/fifo, the runc root
// /run/containerd/runc), and is stopped by pid at the end, SIGTERM then SIGKILL, whatever
// happened. Tasks go under the cgroup /berth-ctr-<pid>/<id>, removed at the end.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/peers.h"

namespace berth::integration {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

constexpr const char* kNamespace = "berth-test";
constexpr const char* kImage = "localhost/berth-busybox:latest";

class ContainerdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    for (const char* tool : {"containerd", "ctr", "containerd-shim-runc-v2"}) {
      if (find_program(tool).empty()) GTEST_SKIP() << tool << " is not installed (apt-get install containerd)";
    }
    std::string error;
    dir_ = make_lowercase_temp_dir("berth-ctd-", error);
    ASSERT_FALSE(dir_.empty()) << error;
    socket_ = dir_ + "/containerd.sock";
    cgroup_parent_ = "/berth-ctr-" + std::to_string(::getpid());

    ns_ = std::make_unique<PrivateMountNamespace>();
    if (!ns_->ok()) GTEST_SKIP() << "no private mount namespace for containerd: " << ns_->error();
    ASSERT_EQ(ns_->mount_tmpfs("/run"), "");

    write_config();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(mkdir_p(dir_ + "/tmp"));
    std::string err = containerd_.start(ns_->wrap({"containerd", "--config", dir_ + "/config.toml"}), log_path());
    ASSERT_EQ(err, "");
    wait_until_serving();
    if (HasFatalFailure()) return;

    RunResult layout =
        run_cmd({"bash", fixture_script(), "image-layout", dir_ + "/layout", "--no-validate"}, {}, seconds(120));
    ASSERT_TRUE(layout.ok()) << layout;
    RunResult tar = run_cmd({"tar", "-C", dir_ + "/layout", "-cf", dir_ + "/image.tar", "."});
    ASSERT_TRUE(tar.ok()) << tar;
    // The layout's index names the manifest "latest": --base-name gives it a repository.
    RunResult import = ctr({"images", "import", "--base-name", "localhost/berth-busybox", dir_ + "/image.tar"});
    ASSERT_TRUE(import.ok()) << import << containerd_log();
    RunResult images = ctr({"images", "list", "--quiet"});
    ASSERT_TRUE(images.ok()) << images;
    ASSERT_NE(images.out.find(kImage), std::string::npos) << images;
  }

  void TearDown() override {
    if (dir_.empty()) return;
    if (ns_ && ns_->ok() && containerd_.running()) {
      for (const auto& id : ids_) {
        (void)ctr({"task", "kill", "--signal", "SIGKILL", id}, seconds(10));
        (void)ctr({"task", "delete", "--force", id}, seconds(20));
        (void)ctr({"container", "delete", id}, seconds(10));
      }
    }
    containerd_.stop(seconds(10));
    // Shims outlive containerd; so does the private namespace while anything is in it.
    kill_processes_mentioning(dir_);
    ns_.reset();
    if (std::string left = remove_cgroup_tree(cgroup_parent_); !left.empty()) {
      ADD_FAILURE() << "cgroups left behind:\n" << left;
    }
    if (auto st = remove_tree(dir_); !st) ADD_FAILURE() << "clean-up: " << st.error().message();
  }

  void write_config() {
    const std::string& d = dir_;
    const std::string config = substitute(R"(version = 2
root = "@DIR@/root"
state = "@DIR@/state"
temp = "@DIR@/tmp"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "@SOCKET@"
[ttrpc]
  address = "@SOCKET@.ttrpc"
[debug]
  address = ""
  level = "warn"
[metrics]
  address = ""
[cgroup]
  path = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "@DIR@/opt"
)",
                                          {{"DIR", d}, {"SOCKET", socket_}});
    ASSERT_TRUE(write_file(d + "/config.toml", config));
  }

  void wait_until_serving() {
    const auto deadline = Clock::now() + seconds(20);
    RunResult version;
    while (Clock::now() < deadline) {
      if (!containerd_.running()) FAIL() << "containerd exited\n" << containerd_log();
      version = run_cmd({"ctr", "--address", socket_, "version"}, {}, seconds(5));
      if (version.ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "containerd does not answer on " << socket_ << "\n" << version << containerd_log();
  }

  [[nodiscard]] std::string log_path() const { return dir_ + "/containerd.log"; }
  [[nodiscard]] std::string containerd_log() const { return "containerd log:\n" + tail_of_file(log_path()); }

  // ctr on the private containerd, in its mount namespace (ctr makes the task's fifos).
  RunResult ctr(const std::vector<std::string>& args, seconds timeout = seconds(60)) {
    std::vector<std::string> argv = {"ctr", "--address", socket_, "--namespace", kNamespace};
    argv.insert(argv.end(), args.begin(), args.end());
    return ns_->run(argv, timeout);
  }

  // `ctr run` with berth-oci as the shim's runc binary: OPTIONS, then the image, the id and argv.
  RunResult ctr_run(std::vector<std::string> options, const std::string& id, const std::vector<std::string>& argv) {
    ids_.push_back(id);
    std::vector<std::string> args = {"run",
                                     "--runtime",
                                     "io.containerd.runc.v2",
                                     "--runc-binary",
                                     berth_oci_binary(),
                                     "--cgroup",
                                     cgroup_parent_ + "/" + id};
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), {kImage, id});
    args.insert(args.end(), argv.begin(), argv.end());
    return ctr(args);
  }

  // The status column of `ctr task list` for `id` ("" when it has no task).
  std::string task_status(const std::string& id) {
    RunResult r = ctr({"task", "list"});
    for (const auto& line : split(r.out, '\n')) {
      auto fields = split(std::string(trim(line)), ' ');
      fields.erase(std::remove(fields.begin(), fields.end(), ""), fields.end());
      if (fields.size() >= 3 && fields[0] == id) return fields[2];
    }
    return {};
  }

  std::string dir_;
  std::string socket_;
  std::string cgroup_parent_;
  std::vector<std::string> ids_;
  std::unique_ptr<PrivateMountNamespace> ns_;
  BackgroundProcess containerd_;
};

TEST_F(ContainerdTest, RunRemovePrintsHello) {
  RunResult r = ctr_run({"--rm"}, "hello", {"echo", "hello"});
  ASSERT_TRUE(r.ok()) << r << containerd_log();
  EXPECT_EQ(r.out, "hello\n") << r;

  RunResult left = ctr({"containers", "list", "--quiet"});
  ASSERT_TRUE(left.ok()) << left;
  EXPECT_EQ(trim(left.out), "") << "ctr run --rm left a container\n" << left;
}

TEST_F(ContainerdTest, ExitStatusReachesCtr) {
  RunResult r = ctr_run({"--rm"}, "status", {"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r << containerd_log();
  EXPECT_EQ(r.out, "out\n") << r;
  EXPECT_NE(r.err.find("err"), std::string::npos) << r;
}

TEST_F(ContainerdTest, DetachedTaskExecKillDelete) {
  const std::string id = "detached";
  // PID 1 ignores SIGTERM unless it handles it: this one exits 0 on it.
  RunResult run = ctr_run({"--detach"}, id, {"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"});
  ASSERT_TRUE(run.ok()) << run << containerd_log();
  EXPECT_EQ(task_status(id), "RUNNING");

  RunResult exec =
      ctr({"task", "exec", "--exec-id", "exec1", id, "sh", "-c", "echo in-exec; tr '\\0' ' ' </proc/1/cmdline"});
  ASSERT_TRUE(exec.ok()) << exec << containerd_log();
  EXPECT_TRUE(starts_with(exec.out, "in-exec\nsh -c trap")) << exec;

  RunResult exec_status = ctr({"task", "exec", "--exec-id", "exec2", id, "sh", "-c", "exit 7"});
  EXPECT_EQ(exec_status.exit_code, 7) << exec_status << containerd_log();

  // The shim asks the runtime for the container's processes (runc ps --format json).
  RunResult ps = ctr({"task", "ps", id});
  EXPECT_TRUE(ps.ok()) << ps << containerd_log();
  EXPECT_GE(split(std::string(trim(ps.out)), '\n').size(), 2U) << ps;

  RunResult kill = ctr({"task", "kill", "--signal", "SIGTERM", id});
  ASSERT_TRUE(kill.ok()) << kill << containerd_log();
  const auto deadline = Clock::now() + seconds(15);
  while (task_status(id) == "RUNNING" && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(task_status(id), "STOPPED") << "SIGTERM did not stop the task\n" << containerd_log();

  RunResult del = ctr({"task", "delete", id});
  ASSERT_TRUE(del.ok()) << del << containerd_log();
  RunResult cdel = ctr({"containers", "delete", id});
  ASSERT_TRUE(cdel.ok()) << cdel << containerd_log();
  RunResult left = ctr({"containers", "list", "--quiet"});
  ASSERT_TRUE(left.ok()) << left;
  EXPECT_EQ(trim(left.out), "") << left;

  // The shim runs berth-oci with --root /run/containerd/runc/<namespace>: nothing is left there.
  RunResult listed =
      ns_->run({berth_oci_binary(), "--root", std::string("/run/containerd/runc/") + kNamespace, "list", "--quiet"});
  EXPECT_TRUE(listed.ok()) << listed;
  EXPECT_EQ(trim(listed.out), "") << "berth-oci still lists the deleted container\n" << listed;
  // Deleting the container removes its cgroup (cgroupsPath /berth-ctr-<pid>/<id>).
  EXPECT_EQ(join(cgroup_dirs_below(cgroup_parent_), "\n"), "") << "cgroups left after delete";
}

// process.terminal: the shim hands berth-oci a --console-socket for `ctr run --tty` (create)
// and for `ctr task exec --tty` (exec --process FILE with "terminal": true). ctr wants a
// terminal of its own for these: script(1) gives it one.
TEST_F(ContainerdTest, TerminalForRunAndExec) {
  const std::string script = find_program("script");
  if (script.empty()) GTEST_SKIP() << "script (util-linux) is not installed: ctr --tty needs a terminal";
  auto in_pty = [&](const std::vector<std::string>& args) {
    std::string line = "exec ctr --address '" + socket_ + "' --namespace " + kNamespace;
    for (const auto& a : args) line += " '" + a + "'";
    return ns_->run({script, "--quiet", "--return", "--command", line, "/dev/null"});
  };
  const std::string id = "tty";
  ids_.push_back(id + "-run");
  RunResult run = in_pty({"run", "--rm", "--tty", "--runc-binary", berth_oci_binary(), "--cgroup",
                          cgroup_parent_ + "/" + id + "-run", kImage, id + "-run", "tty"});
  EXPECT_TRUE(run.ok()) << run << containerd_log();
  EXPECT_NE(run.out.find("/dev/pts/"), std::string::npos) << run;

  RunResult started = ctr_run({"--detach"}, id, {"sleep", "60"});
  ASSERT_TRUE(started.ok()) << started << containerd_log();
  RunResult exec = in_pty({"task", "exec", "--tty", "--exec-id", "tty1", id, "tty"});
  EXPECT_TRUE(exec.ok()) << exec << containerd_log();
  EXPECT_NE(exec.out.find("/dev/pts/"), std::string::npos) << exec;
}

}  // namespace
}  // namespace berth::integration
