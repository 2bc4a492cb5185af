// update and events through berth-oci: new limits reach the running container's cgroups
// (what the container itself reads under /sys/fs/cgroup), bad values and stopped containers
// are refused, events prints runc's JSON, and an OOM kill in the container is reported as
// an "oom" event before events exits with the container. Runs busybox containers: needs root.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool v1_host() { return path_exists("/sys/fs/cgroup/memory/cgroup.procs"); }
bool v2_host() { return path_exists("/sys/fs/cgroup/cgroup.controllers"); }

// What the container reads as its own limit: the v1 file, or its v2 counterpart.
std::string read_inside(const std::string& v1_file, const std::string& v2_file) {
  return "cat /sys/fs/cgroup/" + v1_file + " 2>/dev/null || cat /sys/fs/cgroup/" + v2_file;
}

// `berth-oci events` in the background, its output read as it comes. Its process group is
// killed if it is still running when the test ends.
class EventsProcess {
 public:
  EventsProcess(BundleFixture& fx, const std::vector<std::string>& args) {
    std::array<int, 2> out{};
    std::array<int, 2> err{};
    if (::pipe2(out.data(), O_CLOEXEC) != 0 || ::pipe2(err.data(), O_CLOEXEC) != 0) return;
    out_ = UniqueFd(out[0]);
    err_ = UniqueFd(err[0]);
    UniqueFd out_w(out[1]);
    UniqueFd err_w(err[1]);
    std::vector<std::string> argv = {berth_oci_binary(), "--root", fx.state_root(), "events"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto pid = spawn_in_own_group(argv, -1, out_w.get(), err_w.get());
    if (pid) pid_ = *pid;
    for (int fd : {out_.get(), err_.get()}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  ~EventsProcess() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  EventsProcess(const EventsProcess&) = delete;
  EventsProcess& operator=(const EventsProcess&) = delete;
  EventsProcess(EventsProcess&&) = delete;
  EventsProcess& operator=(EventsProcess&&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0; }
  [[nodiscard]] const std::string& out() const { return out_text_; }
  [[nodiscard]] const std::string& err() const { return err_text_; }

  // Reads until `done(out())` holds; false when `timeout` passes first.
  bool read_until(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!done(out_text_)) {
      if (Clock::now() > deadline) return false;
      read_some(50ms);
    }
    return true;
  }

  // Reads until the process exits and returns its exit code; -1 when `timeout` passes first.
  int wait(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
      if (Clock::now() > deadline) return -1;
      read_some(50ms);
    }
    pid_ = -1;
    read_some(0ms);
    return exit_code_of(status);
  }

 private:
  void read_some(std::chrono::milliseconds wait) {
    std::array<pollfd, 2> fds = {pollfd{out_.get(), POLLIN, 0}, pollfd{err_.get(), POLLIN, 0}};
    ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    std::array<char, 4096> buf{};
    for (auto [fd, text] : {std::pair{out_.get(), &out_text_}, std::pair{err_.get(), &err_text_}}) {
      ssize_t n = 0;
      while ((n = ::read(fd, buf.data(), buf.size())) > 0) text->append(buf.data(), static_cast<size_t>(n));
    }
  }

  pid_t pid_ = -1;
  UniqueFd out_, err_;
  std::string out_text_, err_text_;
};

class UpdateEvents : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    if (!v1_host() && !v2_host()) GTEST_SKIP() << "needs cgroup v1 or v2 mounted at /sys/fs/cgroup";
    ASSERT_TRUE(fx_.ok()) << fx_.error();
  }

  // A container running `sleep 100`, detached; "" on failure.
  std::string run_sleeper() {
    set_args(fx_, {"sleep", "100"});
    fx_.save_config();
    std::string id = fx_.new_id("upd");
    RunResult r = fx_.berth_oci({"run", "--detach", "--bundle", fx_.bundle(), id});
    if (!r.ok()) {
      ADD_FAILURE() << r;
      return "";
    }
    return id;
  }

  std::string exec_sh(const std::string& id, const std::string& script) {
    RunResult r = fx_.berth_oci({"exec", id, "sh", "-c", script});
    EXPECT_TRUE(r.ok()) << r;
    return std::string(trim(r.out));
  }

  BundleFixture fx_;
};

TEST_F(UpdateEvents, MemoryLimitIsSeenInsideTheContainer) {
  std::string id = run_sleeper();
  ASSERT_FALSE(id.empty());
  RunResult r = fx_.berth_oci({"update", "--memory", "64m", id});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(exec_sh(id, read_inside("memory/memory.limit_in_bytes", "memory.max")), "67108864");
}

TEST_F(UpdateEvents, PidsLimitFromResourcesOnStandardInput) {
  std::string id = run_sleeper();
  ASSERT_FALSE(id.empty());
  RunResult r = fx_.berth_oci({"update", "--resources", "-", id}, R"({"pids": {"limit": 9}})");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(exec_sh(id, read_inside("pids/pids.max", "pids.max")), "9");
  // The init, the shell and ten sleeps are more than nine tasks: the limit is enforced.
  RunResult forks = fx_.berth_oci(
      {"exec", id, "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; wait 2>/dev/null; true"});
  EXPECT_NE(forks.err.find("Resource temporarily unavailable"), std::string::npos) << forks;
}

TEST_F(UpdateEvents, StoppedContainerIsRefused) {
  set_args(fx_, {"true"});
  fx_.save_config();
  std::string id = fx_.new_id("upd");
  ASSERT_TRUE(fx_.berth_oci({"run", "--detach", "--bundle", fx_.bundle(), id}).ok());
  ASSERT_TRUE(eventually([&] { return status_of(fx_, id) == "stopped"; }));
  RunResult r = fx_.berth_oci({"update", "--memory", "64m", id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("cannot update container \"" + id + "\": it is stopped"), std::string::npos) << r;
  RunResult events = fx_.berth_oci({"events", "--stats", id});
  EXPECT_NE(events.exit_code, 0) << events;
  EXPECT_NE(events.err.find("is not running"), std::string::npos) << events;
}

TEST_F(UpdateEvents, BadFlagValueNamesTheFlagAndChangesNothing) {
  std::string id = run_sleeper();
  ASSERT_FALSE(id.empty());
  std::string before = exec_sh(id, read_inside("memory/memory.limit_in_bytes", "memory.max"));
  RunResult r = fx_.berth_oci({"update", "--memory", "12x", id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("--memory \"12x\": not a size"), std::string::npos) << r;
  EXPECT_EQ(exec_sh(id, read_inside("memory/memory.limit_in_bytes", "memory.max")), before);
}

TEST_F(UpdateEvents, StatsArePrintedOnceAsRuncsJson) {
  std::string id = run_sleeper();
  ASSERT_FALSE(id.empty());
  RunResult r = fx_.berth_oci({"events", "--stats", id});
  ASSERT_TRUE(r.ok()) << r;
  ASSERT_EQ(lines_of(r.out).size(), 1u) << r;
  auto doc = parse_json(r.out);
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  EXPECT_STREQ(doc["type"].GetString(), "stats");
  EXPECT_EQ(doc["id"].GetString(), id);
  const auto& data = doc["data"];
  ASSERT_TRUE(data.HasMember("memory") && data["memory"]["usage"].HasMember("usage")) << r.out;
  EXPECT_GT(data["memory"]["usage"]["usage"].GetUint64(), 0u) << r.out;
  ASSERT_TRUE(data["pids"].HasMember("current")) << r.out;
  EXPECT_GE(data["pids"]["current"].GetUint64(), 1u) << r.out;
  EXPECT_TRUE(data["cpu"]["usage"].HasMember("total")) << r.out;
}

TEST_F(UpdateEvents, OomKillIsReportedBeforeEventsExits) {
  if (v1_host()) {
    auto control = read_file("/sys/fs/cgroup/memory/memory.oom_control");
    if (!control || control->find("oom_kill ") == std::string::npos) {
      GTEST_SKIP() << "this kernel's memory.oom_control has no oom_kill counter (Linux < 4.13)";
    }
  }
  // Memory and memory+swap both 16M: the doubling string cannot go to swap instead.
  set_json(fx_, "linux", "resources", R"({"memory": {"limit": 16777216, "swap": 16777216}})");
  set_args(fx_, {"sh", "-c", "x=a; while true; do x=$x$x; done"});
  fx_.save_config();
  std::string id = fx_.new_id("oom");
  ASSERT_TRUE(fx_.berth_oci({"create", "--bundle", fx_.bundle(), id}).ok());

  EventsProcess events(fx_, {"--interval", "100ms", id});
  ASSERT_TRUE(events.started());
  // The first stats line says events has read the OOM count the kill must raise.
  ASSERT_TRUE(events.read_until([](const std::string& out) { return out.find('\n') != std::string::npos; }, 10s))
      << events.out() << events.err();
  ASSERT_TRUE(fx_.berth_oci({"start", id}).ok());

  int code = events.wait(30s);
  ASSERT_NE(code, -1) << "events did not exit when the container stopped\n" << events.out() << events.err();
  EXPECT_EQ(code, 0) << events.err();
  EXPECT_EQ(status_of(fx_, id), "stopped");
  auto lines = lines_of(events.out());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), R"({"type":"oom","id":")" + id + R"("})") << events.out();
  for (const auto& line : lines) EXPECT_FALSE(parse_json(line).HasParseError()) << line;
}

}  // namespace
}  // namespace berth::integration
