// pause and resume through berth-oci: a paused container's processes stop in the kernel's
// freezer and its state says "paused"; resume lets them run on. What runc refuses (pausing
// a container that is not running, exec into a paused one) is refused, and a paused
// container can still be signalled and force-deleted. Runs busybox containers: needs root.
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/cgroups.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

using namespace std::chrono_literals;

// What the kernel says about the container's freezer: "FROZEN"/"FREEZING"/"THAWED" from a
// v1 freezer.state, "frozen 1"/"frozen 0" from v2; "" when the container has neither.
std::string freezer_reading(const std::string& id) {
  for (const auto& dir : cgroup_dirs_of(id)) {
    if (auto state = read_file(dir + "/freezer.state")) return std::string(trim(*state));
  }
  for (const auto& dir : cgroup_dirs_of(id)) {
    auto events = read_file(dir + "/cgroup.events");
    if (!events || !path_exists(dir + "/cgroup.freeze")) continue;
    for (const auto& line : split(*events, '\n')) {
      if (starts_with(line, "frozen ")) return line;
    }
  }
  return "";
}

bool kernel_says_frozen(const std::string& id) {
  std::string r = freezer_reading(id);
  return r == "FROZEN" || r == "frozen 1";
}

class Pause : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    ASSERT_TRUE(fx_.ok()) << fx_.error();
    ASSERT_TRUE(mkdir_p(shared_).ok());
    add_bind_mount(fx_, shared_, "/shared");
  }

  // Starts the container detached with `script` as its shell command; "" on failure.
  std::string run_detached(const std::string& script) {
    set_args(fx_, {"sh", "-c", script});
    fx_.save_config();
    std::string id = fx_.new_id();
    RunResult r = fx_.berth_oci({"run", "--detach", "--bundle", fx_.bundle(), id});
    if (!r.ok()) {
      ADD_FAILURE() << r;
      return "";
    }
    if (freezer_reading(id).empty()) {
      ADD_FAILURE() << "container " << id << " has no freezer cgroup";
      return "";
    }
    return id;
  }

  // The counter the container's loop writes; -1 while it cannot be read (mid-write).
  long counter() const {
    auto text = read_file(shared_ + "/count");
    if (!text) return -1;
    auto v = parse_uint(trim(*text));
    return v ? static_cast<long>(*v) : -1;
  }

  BundleFixture fx_;
  const std::string shared_ = fx_.dir() + "/shared";
};

constexpr const char* kCounterLoop = "i=0; while :; do i=$((i+1)); echo $i > /shared/count; sleep 0.01; done";

TEST_F(Pause, PausedContainerStopsAndResumedOneRunsOn) {
  std::string id = run_detached(kCounterLoop);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(eventually([&] { return counter() > 3; })) << "the container's loop never counted";

  RunResult paused = fx_.berth_oci({"pause", id});
  ASSERT_TRUE(paused.ok()) << paused;
  EXPECT_EQ(status_of(fx_, id), "paused");
  EXPECT_TRUE(kernel_says_frozen(id)) << "freezer reads \"" << freezer_reading(id) << "\"";
  RunResult list = fx_.berth_oci({"list", "--format", "json"});
  EXPECT_NE(list.out.find("\"status\":\"paused\""), std::string::npos) << list;

  long before = counter();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(counter(), before) << "the counter advanced while the container was paused";
  EXPECT_TRUE(process_exists(pid_of(fx_, id))) << "pausing must not end the init";

  RunResult resumed = fx_.berth_oci({"resume", id});
  ASSERT_TRUE(resumed.ok()) << resumed;
  EXPECT_EQ(status_of(fx_, id), "running");
  EXPECT_FALSE(kernel_says_frozen(id)) << "freezer reads \"" << freezer_reading(id) << "\"";
  EXPECT_TRUE(eventually([&] { return counter() > before + 3; })) << "the counter did not advance after resume";
}

TEST_F(Pause, PauseTwiceAndResumeOfARunningContainerAreRefused) {
  std::string id = run_detached("exec sleep 60");
  ASSERT_FALSE(id.empty());
  RunResult resume_running = fx_.berth_oci({"resume", id});
  EXPECT_NE(resume_running.exit_code, 0) << resume_running;
  EXPECT_NE(resume_running.err.find("not paused"), std::string::npos) << resume_running;

  ASSERT_TRUE(fx_.berth_oci({"pause", id}).ok());
  RunResult again = fx_.berth_oci({"pause", id});
  EXPECT_NE(again.exit_code, 0) << again;
  EXPECT_NE(again.err.find("already paused"), std::string::npos) << again;
  EXPECT_EQ(status_of(fx_, id), "paused");
  EXPECT_TRUE(fx_.berth_oci({"resume", id}).ok());
}

TEST_F(Pause, PauseOfACreatedOrStoppedContainerIsRefused) {
  set_args(fx_, {"sleep", "60"});
  fx_.save_config();
  std::string created = fx_.new_id();
  ASSERT_TRUE(fx_.berth_oci({"create", "--bundle", fx_.bundle(), created}).ok());
  RunResult r = fx_.berth_oci({"pause", created});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("container not running (it is created)"), std::string::npos) << r;
  EXPECT_EQ(status_of(fx_, created), "created");
  EXPECT_FALSE(kernel_says_frozen(created));

  std::string stopped = run_detached("exit 0");
  ASSERT_FALSE(stopped.empty());
  ASSERT_TRUE(eventually([&] { return status_of(fx_, stopped) == "stopped"; }));
  r = fx_.berth_oci({"pause", stopped});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("container not running (it is stopped)"), std::string::npos) << r;
  r = fx_.berth_oci({"resume", stopped});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("not paused"), std::string::npos) << r;

  r = fx_.berth_oci({"pause", "no-such-container"});
  EXPECT_NE(r.exit_code, 0) << r;
  r = fx_.berth_oci({"pause"});
  EXPECT_NE(r.err.find("exactly one container id"), std::string::npos) << r;
}

TEST_F(Pause, SignalToAPausedContainerIsDeliveredOnResume) {
  std::string id =
      run_detached("trap 'echo usr1 >> /shared/log' USR1; touch /shared/ready; while :; do sleep 0.05; done");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(eventually([&] { return path_exists(shared_ + "/ready"); }));
  ASSERT_TRUE(fx_.berth_oci({"pause", id}).ok());

  RunResult killed = fx_.berth_oci({"kill", id, "USR1"});
  EXPECT_TRUE(killed.ok()) << killed;
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(path_exists(shared_ + "/log")) << "a paused container handled a signal";

  ASSERT_TRUE(fx_.berth_oci({"resume", id}).ok());
  EXPECT_TRUE(eventually([&] {
    auto log = read_file(shared_ + "/log");
    return log && *log == "usr1\n";
  })) << "the signal queued while paused was not handled after resume";
}

TEST_F(Pause, KillOfAPausedContainerKillsItAtOnce) {
  std::string id = run_detached("exec sleep 100");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(fx_.berth_oci({"pause", id}).ok());
  RunResult killed = fx_.berth_oci({"kill", id, "KILL"});
  ASSERT_TRUE(killed.ok()) << killed;
  EXPECT_TRUE(eventually([&] {
    auto state = fx_.berth_oci({"state", id});
    return state.ok() && state.out.find("\"stopped\"") != std::string::npos;
  })) << "SIGKILL did not stop a paused container";
}

TEST_F(Pause, ForceDeleteOfAPausedContainerRemovesItAndItsCgroups) {
  std::string id = run_detached("sleep 100 & exec sleep 101");
  ASSERT_FALSE(id.empty());
  int pid = pid_of(fx_, id);
  ASSERT_TRUE(fx_.berth_oci({"pause", id}).ok());

  RunResult plain = fx_.berth_oci({"delete", id});
  EXPECT_NE(plain.exit_code, 0) << plain;
  EXPECT_NE(plain.err.find("not stopped: paused"), std::string::npos) << plain;

  RunResult forced = fx_.berth_oci({"delete", "--force", id}, {}, 20s);
  ASSERT_TRUE(forced.ok()) << forced;
  EXPECT_FALSE(fx_.berth_oci({"state", id}).ok());
  EXPECT_TRUE(cgroup_dirs_of(id).empty()) << "the paused container's cgroups were left behind";
  EXPECT_FALSE(process_exists(pid));
}

TEST_F(Pause, ExecIntoAPausedContainerIsRefused) {
  std::string id = run_detached("exec sleep 60");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(fx_.berth_oci({"pause", id}).ok());
  RunResult r = fx_.berth_oci({"exec", id, "true"}, {}, 10s);
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_FALSE(r.timed_out) << "exec waited on the frozen container instead of refusing";
  EXPECT_NE(r.err.find("cannot exec in a paused container"), std::string::npos) << r;

  ASSERT_TRUE(fx_.berth_oci({"resume", id}).ok());
  RunResult after = fx_.berth_oci({"exec", id, "true"});
  EXPECT_TRUE(after.ok()) << after;
}

}  // namespace
}  // namespace berth::integration
