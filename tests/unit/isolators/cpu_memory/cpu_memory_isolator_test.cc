// Mesos' cpu and mem semantics as limits: fractional cores to shares and an optional CFS
// quota, memory as a hard limit (swap included where the host accounts it) and a soft one,
// and the requests refused before any cgroup is touched. Written into a faked v1 tree.
#include <gtest/gtest.h>

#include "common/file.h"
#include "isolators/cpu_memory/cpu_isolator.h"
#include "isolators/cpu_memory/memory_isolator.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::isolators {
namespace {

cgroups::HostCgroups v1_host(const std::string& root, bool memsw) {
  cgroups::HostCgroups host;
  host.mode = cgroups::HostMode::kV1;
  for (const char* c : {"cpu", "memory"}) host.hierarchies.push_back({path_join(root, c), {c}, false});
  EXPECT_TRUE(mkdir_p(path_join(root, "memory")).ok());
  if (memsw) {
    EXPECT_TRUE(write_file(path_join(root, "memory/memory.memsw.limit_in_bytes"), "").ok());
  }
  return host;
}

ContainerConfig container(ResourceRequest r) { return {.id = "c1", .cgroup = "/berth/c1", .resources = std::move(r)}; }

TEST(CpuIsolator, FractionalCoresBecomeSharesWithoutQuotaUnlessHard) {
  TempDir tmp("berth-cpu-");
  CpuIsolator cpu(v1_host(tmp.path(), false));
  auto soft = cpu.resources_for(container({}), {.cpus = 1.5});
  ASSERT_TRUE(soft);
  EXPECT_EQ(soft->cpu->shares, 1536U);
  EXPECT_FALSE(soft->cpu->quota);
  auto hard = cpu.resources_for(container({}), {.cpus = 0.25, .cpu_hard_limit = true});
  ASSERT_TRUE(hard);
  EXPECT_EQ(hard->cpu->shares, 256U);
  EXPECT_EQ(hard->cpu->quota, 25000);
  EXPECT_EQ(hard->cpu->period, 100000U);
}

TEST(CpuIsolator, TinyRequestsGetTheKernelsMinimums) {
  TempDir tmp("berth-cpu-");
  CpuIsolator cpu(v1_host(tmp.path(), false), {.quota_for_all = true});
  auto r = cpu.resources_for(container({}), {.cpus = 0.001});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cpu->shares, CpuIsolator::kMinShares);
  EXPECT_EQ(r->cpu->quota, CpuIsolator::kMinQuota.count());
}

TEST(CpuIsolator, NonPositiveOrHugeCoresAreRefusedNamingTheContainer) {
  TempDir tmp("berth-cpu-");
  CpuIsolator cpu(v1_host(tmp.path(), false));
  auto zero = cpu.resources_for(container({}), {.cpus = 0});
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message().find("container \"c1\": cpus must be a positive"), std::string::npos);
  EXPECT_FALSE(cpu.resources_for(container({}), {.cpus = -1}));
  EXPECT_FALSE(cpu.resources_for(container({}), {.cpus = 1e9}));
  LaunchAdditions out;
  EXPECT_FALSE(cpu.prepare(container({.cpus = 0}), out));
}

TEST(MemoryIsolator, HardLimitIncludesSwapWhereTheHostAccountsIt) {
  TempDir tmp("berth-mem-");
  MemoryIsolator with_swap(v1_host(tmp.path(), true));
  auto r = with_swap.resources_for(container({}), {.mem_bytes = 64ULL << 20, .mem_soft_bytes = 32ULL << 20});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->memory->limit, 64LL << 20);
  EXPECT_EQ(r->memory->swap, 64LL << 20);
  EXPECT_EQ(r->memory->reservation, 32LL << 20);

  TempDir plain("berth-mem-");
  MemoryIsolator no_swap(v1_host(plain.path(), false));
  auto n = no_swap.resources_for(container({}), {.mem_bytes = 64ULL << 20});
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->memory->swap);
  MemoryIsolator unlimited_swap(v1_host(tmp.path(), true), {.limit_swap = false});
  EXPECT_FALSE(unlimited_swap.resources_for(container({}), {.mem_bytes = 64ULL << 20})->memory->swap);
}

TEST(MemoryIsolator, BelowMinimumOrSoftAboveHardIsRefused) {
  TempDir tmp("berth-mem-");
  MemoryIsolator mem(v1_host(tmp.path(), false));
  auto tiny = mem.resources_for(container({}), {.mem_bytes = 1 << 20});
  ASSERT_FALSE(tiny);
  EXPECT_NE(tiny.error().message().find("below the minimum"), std::string::npos) << tiny.error().message();
  auto inverted = mem.resources_for(container({}), {.mem_bytes = 64ULL << 20, .mem_soft_bytes = 128ULL << 20});
  ASSERT_FALSE(inverted);
  EXPECT_NE(inverted.error().message().find("above the hard limit"), std::string::npos);
}

TEST(MemoryIsolator, LimitsAreWrittenAtIsolateIntoTheContainersCgroup) {
  TempDir tmp("berth-mem-");
  auto host = v1_host(tmp.path(), false);
  const std::string dir = path_join(tmp.path(), "memory/berth/c1");
  ASSERT_TRUE(mkdir_p(dir).ok());
  for (const char* f : {"memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.oom_control"}) {
    ASSERT_TRUE(write_file(path_join(dir, f), "").ok());
  }
  MemoryIsolator mem(host);
  auto c = container({.mem_bytes = 40ULL << 20, .mem_soft_bytes = 33ULL << 20});
  LaunchAdditions out;
  ASSERT_TRUE(mem.prepare(c, out));
  ASSERT_TRUE(mem.isolate(c, 1));  // the OOM watch cannot register on plain files: a warning only
  EXPECT_EQ(read_file(path_join(dir, "memory.limit_in_bytes")).value(), std::to_string(40ULL << 20));
  EXPECT_EQ(read_file(path_join(dir, "memory.soft_limit_in_bytes")).value(), std::to_string(33ULL << 20));
  // An OOM kill counted by the kernel is reported, with kubelet's reason.
  ASSERT_TRUE(write_file(path_join(dir, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"));
  auto none = mem.check(c);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(write_file(path_join(dir, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"));
  auto struck = mem.check(c);
  ASSERT_TRUE(struck && *struck);
  EXPECT_EQ((*struck)->reason, "OOMKilled");
  EXPECT_NE((*struck)->message.find("killed 2 processes"), std::string::npos) << (*struck)->message;
  ASSERT_TRUE(mem.update(c, {.mem_bytes = 48ULL << 20}));
  EXPECT_EQ(read_file(path_join(dir, "memory.limit_in_bytes")).value(), std::to_string(48ULL << 20));
}

}  // namespace
}  // namespace berth::isolators
