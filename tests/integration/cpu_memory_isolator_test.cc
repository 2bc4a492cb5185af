// The cpu and memory isolators on real cgroups (v1 here, v2 wherever the host is pure v2):
// a CPU quota of half a core holds a busy loop to about half a core, a memory hog is
// OOM-killed and reported with the reason kubelet and Mesos use, and usage() says what the
// kernel's own files say. Runs busybox containers: needs root.
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/file.h"
#include "common/strings.h"
#include "isolators/cgroups/hierarchy.h"
#include "isolators/cpu_memory/cpu_isolator.h"
#include "isolators/cpu_memory/memory_isolator.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/isolated_container.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

using namespace std::chrono_literals;

class CpuMemoryIsolators : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    auto host = cgroups::discover();
    ASSERT_TRUE(host) << host.error().message();
    host_ = *host;
    if (host_.mode == cgroups::HostMode::kV2) {
      auto controllers = read_file("/sys/fs/cgroup/cgroup.controllers");
      if (!controllers || controllers->find("cpu") == std::string::npos ||
          controllers->find("memory") == std::string::npos) {
        GTEST_SKIP() << "the cgroup v2 hierarchy offers no cpu and memory controllers";
      }
    } else if (!path_exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") ||
               !path_exists("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
      GTEST_SKIP() << "needs the cgroup v1 cpu and memory controllers";
    }
    set_.add(std::make_unique<isolators::CpuIsolator>(host_));
    set_.add(std::make_unique<isolators::MemoryIsolator>(host_));
  }

  // A kernel file of the container's cgroup: the v1 controller's or the v2 unified one.
  [[nodiscard]] std::string kernel_file(const IsolatedContainer& c, const std::string& v1_controller,
                                        const std::string& v1_file, const std::string& v2_file) const {
    if (host_.mode == cgroups::HostMode::kV2) return "/sys/fs/cgroup" + c.config().cgroup + "/" + v2_file;
    return "/sys/fs/cgroup/" + v1_controller + c.config().cgroup + "/" + v1_file;
  }

  cgroups::HostCgroups host_;
  isolators::IsolatorSet set_;
};

// The file's text trimmed, or "" when it cannot be read.
std::string file_text(const std::string& path) {
  auto text = read_file(path);
  return text ? std::string(trim(*text)) : std::string();
}

std::chrono::nanoseconds cpu_used(const isolators::IsolatorSet& set, const isolators::ContainerConfig& c) {
  auto u = set.usage(c);
  if (!u || !u->cgroup || !u->cgroup->cpu.total) return std::chrono::nanoseconds(-1);
  return *u->cgroup->cpu.total;
}

TEST_F(CpuMemoryIsolators, HalfACoreQuotaHoldsABusyLoopToHalfACore) {
  BundleFixture fx({.args = {"sh", "-c", "while :; do :; done"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  IsolatedContainer c(fx, set_, fx.new_id("cpu"), {.cpus = 0.5, .cpu_hard_limit = true});
  ASSERT_EQ(c.create(), "");
  ASSERT_TRUE(c.start().ok());
  std::this_thread::sleep_for(300ms);  // past the start, into the steady state
  const auto used0 = cpu_used(set_, c.config());
  const auto wall0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2s);
  const auto used1 = cpu_used(set_, c.config());
  const auto wall = std::chrono::steady_clock::now() - wall0;
  ASSERT_GE(used0.count(), 0);
  const double cores = static_cast<double>((used1 - used0).count()) / static_cast<double>(wall.count());
  // The quota is a ceiling (50 ms of every 100 ms); a loaded 2-core host may give less.
  EXPECT_LE(cores, 0.56) << "the busy loop used " << cores << " cores under a quota of 0.5";
  EXPECT_GE(cores, 0.20) << "the busy loop used only " << cores << " cores";
}

TEST_F(CpuMemoryIsolators, MemoryHogIsOomKilledAndReportedAsSuch) {
  // dd's 96 MiB block buffer is filled (and so charged) by the read from /dev/zero.
  BundleFixture fx({.args = {"dd", "if=/dev/zero", "of=/dev/null", "bs=96M", "count=1"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  IsolatedContainer c(fx, set_, fx.new_id("oom"), {.mem_bytes = 32ULL << 20});
  ASSERT_EQ(c.create(), "");
  auto before = set_.check(c.config());
  ASSERT_TRUE(before) << before.error().message();
  EXPECT_FALSE(*before) << "reported before it ran: " << (*before)->message;
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(c.wait_stopped(10s));
  auto limitation = set_.check(c.config());
  ASSERT_TRUE(limitation) << limitation.error().message();
  ASSERT_TRUE(*limitation) << "the OOM kill was not reported";
  EXPECT_EQ((*limitation)->reason, "OOMKilled");
  EXPECT_EQ((*limitation)->resource, "mem");
  EXPECT_TRUE((*limitation)->kill);
  EXPECT_NE((*limitation)->message.find("Memory limit exceeded"), std::string::npos) << (*limitation)->message;
  EXPECT_NE((*limitation)->message.find(std::to_string(32ULL << 20)), std::string::npos) << (*limitation)->message;
}

TEST_F(CpuMemoryIsolators, ContainerWithinItsMemoryIsNotReported) {
  BundleFixture fx({.args = {"dd", "if=/dev/zero", "of=/dev/null", "bs=4M", "count=4"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  IsolatedContainer c(fx, set_, fx.new_id("mem"), {.mem_bytes = 64ULL << 20});
  ASSERT_EQ(c.create(), "");
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(c.wait_stopped(10s));
  auto limitation = set_.check(c.config());
  ASSERT_TRUE(limitation) << limitation.error().message();
  EXPECT_FALSE(*limitation) << (*limitation)->message;
}

TEST_F(CpuMemoryIsolators, UsageMatchesTheKernelsFiles) {
  BundleFixture fx({.args = {"sh", "-c", "sleep 1000 & sleep 1000 & dd if=/dev/zero bs=1M count=8 | sleep 1000"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  IsolatedContainer c(fx, set_, fx.new_id("use"), {.cpus = 1.0, .mem_bytes = 96ULL << 20});
  ASSERT_EQ(c.create(), "");
  ASSERT_TRUE(c.start().ok());
  const std::string pids_file = kernel_file(c, "pids", "pids.current", "pids.current");
  ASSERT_TRUE(eventually([&] { return file_text(pids_file) == "5"; }, 5s)) << "pids.current: " << file_text(pids_file);
  auto u = set_.usage(c.config());
  ASSERT_TRUE(u) << u.error().message();
  ASSERT_TRUE(u->cgroup);
  const auto& s = *u->cgroup;
  EXPECT_EQ(s.memory.memory.limit_bytes, 96ULL << 20);
  EXPECT_EQ(s.pids.current, 5U);
  EXPECT_EQ(std::to_string(s.memory.memory.limit_bytes.value_or(0)),
            file_text(kernel_file(c, "memory", "memory.limit_in_bytes", "memory.max")));
  EXPECT_EQ(file_text(kernel_file(c, "cpu", "cpu.shares", "cpu.weight")),
            host_.mode == cgroups::HostMode::kV2 ? "39" : "1024");
  // Memory moves between two reads; the usage must lie within what the file said around it.
  ASSERT_TRUE(s.memory.memory.usage_bytes);
  EXPECT_GT(*s.memory.memory.usage_bytes, 0U);
  EXPECT_LE(*s.memory.working_set_bytes, *s.memory.memory.usage_bytes);
  EXPECT_TRUE(s.cpu.total.has_value());
}

TEST_F(CpuMemoryIsolators, RequestsBelowTheMinimumAreRefusedBeforeAnythingRuns) {
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  IsolatedContainer tiny(fx, set_, fx.new_id("tiny"), {.mem_bytes = 1 << 20});
  EXPECT_NE(tiny.create().find("below the minimum"), std::string::npos);
  IsolatedContainer none(fx, set_, fx.new_id("zero"), {.cpus = 0.0});
  EXPECT_NE(none.create().find("cpus must be a positive number"), std::string::npos);
}

}  // namespace
}  // namespace berth::integration
