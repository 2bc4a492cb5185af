// linux.resources written into faked cgroup trees (plain files in a temp dir): what the
// kernel would be told on v1 and on v2.
#include "isolators/cgroups/resources.h"

#include <gtest/gtest.h>

#include "common/file.h"
#include "isolators/cgroups/hierarchy.h"
#include "isolators/cgroups/resources_internal.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::cgroups {
namespace {

class FakeTree {
 public:
  // A controller directory holding empty knob files.
  CgroupDir controller(const std::string& name, const std::vector<std::string>& files, bool v2 = false) {
    std::string d = path_join(dir_, name.empty() ? "unified" : name);
    EXPECT_TRUE(mkdir_p(d).ok());
    for (const auto& f : files) EXPECT_TRUE(write_file(path_join(d, f), "").ok());
    return CgroupDir{d, d, v2 ? std::vector<std::string>{} : std::vector<std::string>{name}, v2};
  }
  static std::string read(const CgroupDir& d, const std::string& file) {
    auto text = read_file(path_join(d.path, file));
    return text ? *text : "<missing>";
  }

 private:
  TempDir tmp_{"berth-cgtest-"};
  const std::string dir_ = tmp_.path();
};

oci::Resources sample() {
  oci::Resources r;
  r.memory = oci::Resources::Memory{};
  r.memory->limit = 64 << 20;
  r.memory->swap = 128 << 20;
  r.cpu = oci::Resources::Cpu{};
  r.cpu->shares = 1024;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.pids = oci::Resources::Pids{100};
  return r;
}

TEST(Resources, V1WritesEachControllersFiles) {
  FakeTree t;
  CgroupSet set({t.controller("memory", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}),
                 t.controller("cpu", {"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us"}),
                 t.controller("pids", {"pids.max"})});
  ASSERT_TRUE(apply_resources(set, sample(), {}).ok());
  EXPECT_EQ(FakeTree::read(set.dirs()[0], "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(FakeTree::read(set.dirs()[0], "memory.memsw.limit_in_bytes"), "134217728");
  EXPECT_EQ(FakeTree::read(set.dirs()[1], "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(FakeTree::read(set.dirs()[1], "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(FakeTree::read(set.dirs()[2], "pids.max"), "100");
}

TEST(Resources, V2UsesUnifiedFilesAndConversions) {
  FakeTree t;
  CgroupSet set({t.controller("", {"memory.max", "memory.swap.max", "cpu.weight", "cpu.max", "pids.max"}, true)});
  ASSERT_TRUE(apply_resources(set, sample(), {}).ok());
  const auto& d = set.dirs()[0];
  EXPECT_EQ(FakeTree::read(d, "memory.max"), "67108864");
  EXPECT_EQ(FakeTree::read(d, "memory.swap.max"), "67108864");  // memory+swap minus memory
  EXPECT_EQ(FakeTree::read(d, "cpu.weight"), "39");             // 1 + (1024-2)*9999/262142
  EXPECT_EQ(FakeTree::read(d, "cpu.max"), "50000 100000");
  EXPECT_EQ(FakeTree::read(d, "pids.max"), "100");
}

TEST(Resources, V2QuotaAloneKeepsThePeriodAndSwapAloneUsesTheLimit) {
  FakeTree t;
  CgroupSet set({t.controller("", {"memory.max", "memory.swap.max", "cpu.max"}, true)});
  const auto& d = set.dirs()[0];
  ASSERT_TRUE(write_file(path_join(d.path, "cpu.max"), "max 250000\n").ok());
  ASSERT_TRUE(write_file(path_join(d.path, "memory.max"), "67108864\n").ok());
  oci::Resources r;
  r.cpu = oci::Resources::Cpu{};
  r.cpu->quota = 50000;
  r.memory = oci::Resources::Memory{};
  r.memory->swap = 100663296;
  ASSERT_TRUE(apply_resources(set, r, {}).ok());
  EXPECT_EQ(FakeTree::read(d, "cpu.max"), "50000 250000");
  EXPECT_EQ(FakeTree::read(d, "memory.swap.max"), "33554432");  // 96M memory+swap minus the 64M there

  oci::Resources period_only;
  period_only.cpu = oci::Resources::Cpu{};
  period_only.cpu->period = 200000;
  // Kernel files are written without truncating: seed the fake with what the new value overwrites.
  ASSERT_TRUE(write_file(path_join(d.path, "cpu.max"), "50000 250000").ok());
  ASSERT_TRUE(apply_resources(set, period_only, {}).ok());
  EXPECT_EQ(FakeTree::read(d, "cpu.max"), "50000 200000");
}

TEST(Resources, MissingControllerIsAClearError) {
  FakeTree t;
  CgroupSet set({t.controller("memory", {"memory.limit_in_bytes"})});
  oci::Resources r;
  r.pids = oci::Resources::Pids{10};
  auto st = apply_resources(set, r, {});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("no pids cgroup controller"), std::string::npos) << st.error().message();
}

TEST(Resources, DenyAllKeepsStandardAndListedDevicesAllowed) {
  oci::Resources r;
  r.devices.push_back(oci::DeviceCgroupRule{false, "a", std::nullopt, std::nullopt, "rwm"});
  oci::Device fuse;
  fuse.path = "/dev/fuse";
  fuse.type = 'c';
  fuse.major = 10;
  fuse.minor = 229;
  auto rules = effective_device_rules(r, {fuse});
  ASSERT_GE(rules.size(), 3u);
  EXPECT_EQ(rules[0].v1_line(), "a *:* rwm");
  EXPECT_FALSE(rules[0].allow);
  bool null_allowed = false, fuse_allowed = false;
  for (const auto& rule : rules) {
    null_allowed = null_allowed || (rule.allow && rule.v1_line() == "c 1:3 rwm");
    fuse_allowed = fuse_allowed || (rule.allow && rule.v1_line() == "c 10:229 rwm");
  }
  EXPECT_TRUE(null_allowed);
  EXPECT_TRUE(fuse_allowed);
}

TEST(Resources, SharesAndBlkioWeightConversions) {
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(262144), 10000u);
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
}

TEST(Hierarchy, HybridHostIsDetectedFromMountinfo) {
  const std::string mountinfo =
      "30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
      "31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid shared:5 - cgroup cgroup rw,memory\n"
      "32 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw shared:6 - cgroup cgroup rw,cpu,cpuacct\n"
      "33 25 0:29 / /sys/fs/cgroup/systemd rw shared:7 - cgroup cgroup rw,xattr,name=systemd\n";
  auto host = parse_mountinfo(mountinfo);
  ASSERT_TRUE(host.ok()) << host.error().message();
  EXPECT_EQ(host->mode, HostMode::kHybrid);
  ASSERT_EQ(host->hierarchies.size(), 4u);
  EXPECT_EQ(host->hierarchies[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(host->hierarchies[2].controllers, (std::vector<std::string>{"name=systemd"}));
  ASSERT_NE(host->unified(), nullptr);
  EXPECT_EQ(host->unified()->mount_point, "/sys/fs/cgroup/unified");
}

TEST(Hierarchy, PureV2Host) {
  auto host = parse_mountinfo("30 25 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->mode, HostMode::kV2);
}

TEST(Hierarchy, NoCgroupMountIsAnError) { EXPECT_FALSE(parse_mountinfo("22 1 0:5 / /proc rw - proc proc rw\n").ok()); }

}  // namespace
}  // namespace berth::cgroups
