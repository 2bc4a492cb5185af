// linux.resources written into the container's real cgroups (v1 on the build hosts, v2 on a
// pure v2 host): what the container sees under /sys/fs/cgroup and what the kernel enforces.
// Runs real busybox containers: needs root.
#include <rapidjson/document.h>
#include <sys/stat.h>

#include <string>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

bool pure_v2() { return path_exists("/sys/fs/cgroup/cgroup.controllers"); }

// The host offers `name`: a v1 hierarchy of it, or the pure v2 hierarchy lists it.
bool has_controller(const std::string& name) {
  if (!pure_v2()) return path_exists("/sys/fs/cgroup/" + name + "/cgroup.procs");
  auto controllers = read_file("/sys/fs/cgroup/cgroup.controllers");
  return controllers && (" " + std::string(trim(*controllers)) + " ").find(" " + name + " ") != std::string::npos;
}

// Prints the first of the container's cgroup files that exists (v1 name, then v2 name).
std::string cat_either(const std::string& v1_file, const std::string& v2_file) {
  return "cat /sys/fs/cgroup/" + v1_file + " 2>/dev/null || cat /sys/fs/cgroup/" + v2_file + "; ";
}

TEST(CgroupLimits, LimitsAreWrittenToTheContainersCgroups) {
  skip_unless_root();
  if (!has_controller("memory") || !has_controller("pids") || !has_controller("cpu")) {
    GTEST_SKIP() << "needs the memory, pids and cpu cgroup controllers";
  }
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_json(fx, "linux", "resources",
           R"({"memory": {"limit": 67108864}, "pids": {"limit": 42},
               "cpu": {"shares": 512, "quota": 50000, "period": 100000}})");
  set_args(fx, {"sh", "-c",
                cat_either("memory/memory.limit_in_bytes", "memory.max") + cat_either("pids/pids.max", "pids.max") +
                    (pure_v2() ? "cat /sys/fs/cgroup/cpu.weight /sys/fs/cgroup/cpu.max"
                               : "cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
                                 "/sys/fs/cgroup/cpu/cpu.cfs_period_us")});
  fx.save_config();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("res")});
  ASSERT_TRUE(r.ok()) << r;
  // v2: shares 512 is weight 20 by the standard conversion; quota and period share cpu.max.
  EXPECT_EQ(r.out, pure_v2() ? "67108864\n42\n20\n50000 100000\n" : "67108864\n42\n512\n50000\n100000\n") << r;
}

TEST(CgroupLimits, PidsLimitStopsForks) {
  skip_unless_root();
  if (!has_controller("pids")) GTEST_SKIP() << "needs the pids cgroup controller";
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_json(fx, "linux", "resources", R"({"pids": {"limit": 3}})");
  // sh is one task; with a limit of 3, the fourth concurrent process must fail to fork.
  set_args(fx, {"sh", "-c", "sleep 5 & sleep 5 & sleep 5 & echo forked; kill %1 %2 2>/dev/null; true"});
  fx.save_config();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("pids")});
  EXPECT_NE(r.err.find("Resource temporarily unavailable"), std::string::npos) << r;
}

TEST(CgroupLimits, DenyAllDevicesKeepsStandardDevicesAndBlocksOthers) {
  skip_unless_root();
  // v2 has no devices controller: an eBPF program on the cgroup does its work.
  if (!pure_v2() && !has_controller("devices")) GTEST_SKIP() << "needs the cgroup v1 devices controller";
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_json(fx, "linux", "resources", R"({"devices": [{"allow": false, "access": "rwm"}]})");
  // /dev/kmsg (1:11) is not among the standard devices: opening a node of it must fail.
  set_args(fx, {"sh", "-c",
                "echo ok > /dev/null && echo null-ok; mknod /tmp/kmsg c 1 11; head -c1 /tmp/kmsg; rm -f /tmp/kmsg"});
  fx.save_config();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("dev")});
  EXPECT_NE(r.out.find("null-ok"), std::string::npos) << r;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r;
}

TEST(CgroupLimits, MissingControllerIsAClearError) {
  skip_unless_root();
  if (has_controller("hugetlb")) GTEST_SKIP() << "this host has a hugetlb controller";
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_json(fx, "linux", "resources", R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 1048576}]})");
  fx.save_config();
  std::string id = fx.new_id("huge");
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_NE(r.err.find("no hugetlb cgroup controller"), std::string::npos) << r;
  // Nothing is left behind: no state, no cgroup.
  EXPECT_FALSE(path_exists(fx.state_root() + "/" + id));
  EXPECT_FALSE(path_exists("/sys/fs/cgroup/memory/berth/" + id));
}

}  // namespace
}  // namespace berth::integration
