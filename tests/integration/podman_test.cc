// podman (Debian's podman 4.3, with conmon) driving berth-oci as its OCI runtime: the busybox
// image, pulled from the OCI image layout that scripts/make-busybox-fixture.sh makes, is run
// attached, detached, exec'd into, stopped and removed. The podman is private
// (support/private_podman.h): nothing of the host's podman storage is touched.
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/peers.h"
#include "tests/integration/support/private_podman.h"

namespace berth::integration {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// The busybox image, pulled from the fixture's OCI layout into the private podman.
class PodmanTest : public PrivatePodmanTest {
 protected:
  void SetUp() override {
    PrivatePodmanTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
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

  [[nodiscard]] std::vector<std::string> run_args(std::vector<std::string> options) const {
    return PrivatePodmanTest::run_args(std::move(options), image_);
  }

  std::string image_;
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
