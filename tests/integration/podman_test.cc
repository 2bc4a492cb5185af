// podman (Debian's podman 4.3, with conmon) driving berth-oci as its OCI runtime: the busybox
// image, pulled from the OCI image layout that scripts/make-busybox-fixture.sh makes, is run
// attached, detached, exec'd into, stopped and removed.
//
// The podman here is private: its storage, run and temp dirs and its config files
// (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, a signature policy)
// live in the test's temp dir, locks are files there (not /dev/shm/libpod_lock), events go to
// a file there, and every podman command runs in a private mount namespace with tmpfs over
// /run, /dev/shm and /var/lib/containers, the host paths podman 4.3 writes to whatever its
// configuration says (the blob info cache, netavark's run dir, the runtime's state root).
// Containers go under the cgroup parent /berth-podman-<pid>, removed at the end.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/peers.h"

namespace berth::integration {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// podman asks for RLIMIT_NOFILE and RLIMIT_NPROC of its own (1048576, and the host's
// maximum), but the conmon it starts, whose limits the runtime inherits, had a hard NPROC of
// 32768 on the build host (its /proc/PID/limits), below this process's. berth-oci, like runc,
// cannot raise a hard limit without CAP_SYS_RESOURCE, which the build host lacks: ask for
// limits under both.
std::string ulimit_arg(const char* name, decltype(RLIMIT_NOFILE) resource, rlim_t cap) {
  rlimit lim{};
  rlim_t value = cap;
  if (::getrlimit(resource, &lim) == 0 && lim.rlim_max != RLIM_INFINITY) value = std::min(value, lim.rlim_max);
  return std::string(name) + "=" + std::to_string(value) + ":" + std::to_string(value);
}

std::vector<std::string> ulimit_args() {
  return {"--ulimit", ulimit_arg("nofile", RLIMIT_NOFILE, 1048576), "--ulimit",
          ulimit_arg("nproc", RLIMIT_NPROC, 32768)};
}

class PodmanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    podman_ = find_program("podman");
    if (podman_.empty()) GTEST_SKIP() << "podman is not installed (apt-get install podman)";
    for (const char* c : {"/usr/bin/conmon", "/usr/libexec/podman/conmon", "/usr/local/bin/conmon"}) {
      if (::access(c, X_OK) == 0) {
        conmon_ = c;
        break;
      }
    }
    if (conmon_.empty()) conmon_ = find_program("conmon");
    if (conmon_.empty()) GTEST_SKIP() << "conmon is not installed (apt-get install conmon)";

    std::string error;
    // Short, too: podman refuses a --runroot longer than 50 characters.
    dir_ = make_lowercase_temp_dir("berth-podman-", error);
    ASSERT_FALSE(dir_.empty()) << error;
    cgroup_parent_ = "/berth-podman-" + std::to_string(::getpid());

    ns_ = std::make_unique<PrivateMountNamespace>();
    if (!ns_->ok()) GTEST_SKIP() << "no private mount namespace for podman: " << ns_->error();
    for (const char* p : {"/run", "/dev/shm"}) ASSERT_EQ(ns_->mount_tmpfs(p), "");
    // containers/image keeps root's blob info cache in /var/lib/containers/cache whatever
    // --root says: give it a tmpfs (over /var/lib when the host has no /var/lib/containers).
    ASSERT_EQ(ns_->mount_tmpfs(path_exists("/var/lib/containers") ? "/var/lib/containers" : "/var/lib"), "");

    write_configs();
    if (HasFatalFailure()) return;
    RunResult layout =
        run_cmd({"bash", fixture_script(), "image-layout", dir_ + "/layout", "--no-validate"}, {}, seconds(120));
    ASSERT_TRUE(layout.ok()) << layout;
    RunResult pull = podman({"pull", "--signature-policy", dir_ + "/policy.json", "oci:" + dir_ + "/layout:latest"});
    ASSERT_TRUE(pull.ok()) << pull;
    auto lines = split(std::string(trim(pull.out)), '\n');
    ASSERT_FALSE(lines.empty()) << pull;
    image_ = std::string(trim(lines.back()));  // the image id
    ASSERT_FALSE(image_.empty()) << pull;
  }

  void TearDown() override {
    if (dir_.empty()) return;
    if (ns_ && ns_->ok()) {
      RunResult rm = podman({"rm", "--all", "--force", "--time", "0"});
      if (!rm.ok()) ADD_FAILURE() << "clean-up: " << rm;
    }
    // conmon and the exit commands it runs outlive podman: end them, then the namespace.
    kill_processes_mentioning(dir_);
    ns_.reset();
    if (std::string left = remove_cgroup_tree(cgroup_parent_); !left.empty()) {
      ADD_FAILURE() << "cgroups left behind:\n" << left;
    }
    if (auto st = remove_tree(dir_); !st) ADD_FAILURE() << "clean-up: " << st.error().message();
  }

  void write_configs() {
    const std::string& d = dir_;
    const std::string conf = substitute(R"([containers]
netns = "none"
log_driver = "k8s-file"
[network]
network_config_dir = "@DIR@/net"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "@DIR@/events.log"
lock_type = "file"
conmon_path = ["@CONMON@"]
tmp_dir = "@DIR@/tmp"
volume_path = "@DIR@/volumes"
static_dir = "@DIR@/static"
image_copy_tmp_dir = "@DIR@/tmp"
runtime = "berth"
[engine.runtimes]
berth = ["@RUNTIME@"]
)",
                                        {{"DIR", d}, {"CONMON", conmon_}, {"RUNTIME", berth_oci_binary()}});
    const std::string storage = substitute(R"([storage]
driver = "vfs"
graphroot = "@DIR@/root"
runroot = "@DIR@/runroot"
)",
                                           {{"DIR", d}});
    ASSERT_TRUE(mkdir_p(d + "/tmp"));
    ASSERT_TRUE(write_file(d + "/containers.conf", conf));
    ASSERT_TRUE(write_file(d + "/storage.conf", storage));
    ASSERT_TRUE(write_file(d + "/registries.conf", "unqualified-search-registries = []\n"));
    ASSERT_TRUE(write_file(d + "/policy.json", R"({"default": [{"type": "insecureAcceptAnything"}]})"));
  }

  // podman with the private set-up, in the private mount namespace.
  RunResult podman(const std::vector<std::string>& args, seconds timeout = seconds(60)) {
    std::vector<std::string> argv = {
        "env",
        "CONTAINERS_CONF=" + dir_ + "/containers.conf",
        "CONTAINERS_STORAGE_CONF=" + dir_ + "/storage.conf",
        "CONTAINERS_REGISTRIES_CONF=" + dir_ + "/registries.conf",
        "TMPDIR=" + dir_ + "/tmp",
        podman_,
        "--root",
        dir_ + "/root",
        "--runroot",
        dir_ + "/runroot",
        "--tmpdir",
        dir_ + "/tmp",
        "--storage-driver",
        "vfs",
        "--cgroup-manager",
        "cgroupfs",
        "--events-backend",
        "file",
        "--conmon",
        conmon_,
        "--runtime",
        berth_oci_binary(),
    };
    argv.insert(argv.end(), args.begin(), args.end());
    return ns_->run(argv, timeout);
  }

  // `podman run` options every test uses, then the image.
  std::vector<std::string> run_args(std::vector<std::string> options) const {
    options.insert(options.end(), {"--network", "none", "--cgroup-parent", cgroup_parent_});
    std::vector<std::string> ulimits = ulimit_args();
    options.insert(options.end(), ulimits.begin(), ulimits.end());
    options.push_back(image_);
    return options;
  }

  std::string podman_;
  std::string conmon_;
  std::string dir_;
  std::string cgroup_parent_;
  std::string image_;
  std::unique_ptr<PrivateMountNamespace> ns_;
};

TEST_F(PodmanTest, RunRemovePrintsHello) {
  std::vector<std::string> args = run_args({"run", "--rm"});
  args.insert(args.end(), {"echo", "hello"});
  RunResult r = podman(args);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "hello\n") << r;

  RunResult ps = podman({"ps", "--all", "--quiet"});
  ASSERT_TRUE(ps.ok()) << ps;
  EXPECT_EQ(trim(ps.out), "") << "podman run --rm left a container\n" << ps;
}

TEST_F(PodmanTest, ExitStatusReachesPodman) {
  std::vector<std::string> args = run_args({"run", "--rm"});
  args.insert(args.end(), {"sh", "-c", "echo out; echo err >&2; exit 3"});
  RunResult r = podman(args);
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.out, "out\n") << r;
  EXPECT_NE(r.err.find("err"), std::string::npos) << r;
}

TEST_F(PodmanTest, DetachedContainerExecStopRemove) {
  const std::string name = "berth-it-" + std::to_string(::getpid());
  std::vector<std::string> args = run_args({"run", "--detach", "--name", name});
  // PID 1 ignores SIGTERM unless it handles it: this one exits 0 on it.
  args.insert(args.end(), {"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"});
  RunResult run = podman(args);
  ASSERT_TRUE(run.ok()) << run;

  RunResult ps = podman({"ps", "--format", "{{.Names}} {{.Status}}"});
  ASSERT_TRUE(ps.ok()) << ps;
  EXPECT_NE(ps.out.find(name + " Up"), std::string::npos) << ps;

  RunResult exec = podman({"exec", name, "sh", "-c", "echo in-exec; tr '\\0' ' ' </proc/1/cmdline"});
  ASSERT_TRUE(exec.ok()) << exec;
  EXPECT_TRUE(starts_with(exec.out, "in-exec\nsh -c trap")) << exec;

  RunResult exec_status = podman({"exec", name, "sh", "-c", "exit 7"});
  EXPECT_EQ(exec_status.exit_code, 7) << exec_status;

  const auto before_stop = Clock::now();
  RunResult stop = podman({"stop", "--time", "20", name});
  const auto stop_took = Clock::now() - before_stop;
  ASSERT_TRUE(stop.ok()) << stop;
  EXPECT_LT(stop_took, seconds(15)) << "SIGTERM did not reach the container: podman waited for its SIGKILL\n" << stop;
  RunResult code = podman({"inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name});
  ASSERT_TRUE(code.ok()) << code;
  EXPECT_EQ(trim(code.out), "exited 0") << code;

  RunResult rm = podman({"rm", name});
  ASSERT_TRUE(rm.ok()) << rm;
  RunResult left = podman({"ps", "--all", "--quiet"});
  ASSERT_TRUE(left.ok()) << left;
  EXPECT_EQ(trim(left.out), "") << left;

  // berth-oci's own record of it is gone too (podman runs it with its default --root).
  RunResult listed = ns_->run({berth_oci_binary(), "list", "--quiet"});
  EXPECT_TRUE(listed.ok()) << listed;
  EXPECT_EQ(trim(listed.out), "") << "berth-oci still lists the removed container\n" << listed;
  // Deleting the container removes its cgroup (<parent>/libpod-<id>); conmon's is podman's.
  std::vector<std::string> left_cgroups;
  for (const auto& dir : cgroup_dirs_below(cgroup_parent_)) {
    if (dir.find("/libpod-") != std::string::npos) left_cgroups.push_back(dir);
  }
  EXPECT_EQ(join(left_cgroups, "\n"), "") << "cgroups left after podman rm";
}

// process.terminal: podman hands berth-oci a --console-socket (conmon's) for `run --tty`, and
// `exec --tty --console-socket … --detach --process FILE` for `exec --tty`.
TEST_F(PodmanTest, TerminalForRunAndExec) {
  std::vector<std::string> args = run_args({"run", "--rm", "--tty"});
  args.emplace_back("tty");
  RunResult run = podman(args);
  EXPECT_TRUE(run.ok()) << run;
  EXPECT_NE(run.out.find("/dev/pts/"), std::string::npos) << run;

  const std::string name = "berth-it-tty-" + std::to_string(::getpid());
  std::vector<std::string> detached = run_args({"run", "--detach", "--name", name});
  detached.insert(detached.end(), {"sleep", "60"});
  RunResult started = podman(detached);
  ASSERT_TRUE(started.ok()) << started;
  RunResult exec = podman({"exec", "--tty", name, "tty"});
  EXPECT_TRUE(exec.ok()) << exec;
  EXPECT_NE(exec.out.find("/dev/pts/"), std::string::npos) << exec;
}

}  // namespace
}  // namespace berth::integration
