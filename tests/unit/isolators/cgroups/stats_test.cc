// Statistics read from faked cgroup trees (plain files in a temp dir holding what the
// kernel writes): the same numbers, in the same units, from v1 and from v2.
#include "isolators/cgroups/stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::cgroups {
namespace {

using std::chrono::nanoseconds;

class FakeTree {
 public:
  // A controller directory holding `files` (name, contents).
  CgroupDir controller(const std::string& name, const std::vector<std::pair<std::string, std::string>>& files,
                       bool v2 = false) {
    std::string d = path_join(tmp_.path(), name.empty() ? "unified" : name);
    EXPECT_TRUE(mkdir_p(d).ok());
    for (const auto& [file, text] : files) EXPECT_TRUE(write_file(path_join(d, file), text).ok());
    return CgroupDir{d, d, v2 ? std::vector<std::string>{} : std::vector<std::string>{name}, v2};
  }

 private:
  TempDir tmp_{"berth-statstest-"};
};

const char* const kV1MemoryStat =
    "cache 9371648\nrss 5611520\nrss_huge 0\nshmem 0\nmapped_file 7557120\ndirty 57344\nwriteback 0\n"
    "swap 0\npgpgin 62609\npgpgout 58951\npgfault 107762\npgmajfault 3\ninactive_anon 0\n"
    "active_anon 1531904\ninactive_file 12288\nactive_file 274432\nunevictable 0\n"
    "hierarchical_memory_limit 67108864\nhierarchical_memsw_limit 9223372036854771712\n"
    "total_cache 9371648\ntotal_rss 5611520\ntotal_pgfault 107762\ntotal_pgmajfault 3\n"
    "total_inactive_file 2097152\ntotal_active_file 274432\n";

CgroupSet v1_set(FakeTree& t) {
  return CgroupSet({
      t.controller("cpu", {{"cpu.stat",
                            "nr_periods 120\nnr_throttled 7\nthrottled_time 345678901\n"
                            "nr_bursts 0\nburst_time 0\n"}}),
      t.controller("cpuacct", {{"cpuacct.usage", "2870474184\n"},
                               {"cpuacct.usage_percpu", "1870474184 1000000000 \n"},
                               {"cpuacct.stat", "user 250\nsystem 37\n"}}),
      t.controller("memory", {{"memory.usage_in_bytes", "16777216\n"},
                              {"memory.max_usage_in_bytes", "33554432\n"},
                              {"memory.limit_in_bytes", "67108864\n"},
                              {"memory.failcnt", "2\n"},
                              {"memory.memsw.usage_in_bytes", "16777216\n"},
                              {"memory.memsw.max_usage_in_bytes", "33554432\n"},
                              {"memory.memsw.limit_in_bytes", "9223372036854771712\n"},
                              {"memory.memsw.failcnt", "0\n"},
                              {"memory.stat", kV1MemoryStat},
                              {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"}}),
      t.controller("pids", {{"pids.current", "4\n"}, {"pids.max", "max\n"}}),
      t.controller("blkio", {{"blkio.throttle.io_service_bytes_recursive",
                              "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 12288\n8:0 Async 0\n8:0 Discard 0\n"
                              "8:0 Total 12288\nTotal 12288\n"},
                             {"blkio.throttle.io_serviced_recursive",
                              "8:0 Read 1\n8:0 Write 2\n8:0 Sync 3\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 3\n"
                              "Total 3\n"}}),
      t.controller("hugetlb", {{"hugetlb.2MB.usage_in_bytes", "4194304\n"},
                               {"hugetlb.2MB.max_usage_in_bytes", "6291456\n"},
                               {"hugetlb.2MB.failcnt", "1\n"},
                               {"hugetlb.2MB.limit_in_bytes", "9223372036854771712\n"}}),
  });
}

TEST(CgroupStats, V1CpuIsInNanoseconds) {
  FakeTree t;
  auto s = read_stats(v1_set(t));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->cpu.total, nanoseconds(2870474184));
  EXPECT_EQ(s->cpu.per_cpu, (std::vector<nanoseconds>{nanoseconds(1870474184), nanoseconds(1000000000)}));
  // cpuacct.stat counts USER_HZ ticks.
  const int64_t ns_per_tick = 1'000'000'000 / ::sysconf(_SC_CLK_TCK);
  EXPECT_EQ(s->cpu.user, nanoseconds(250 * ns_per_tick));
  EXPECT_EQ(s->cpu.system, nanoseconds(37 * ns_per_tick));
  EXPECT_EQ(s->cpu.periods, 120u);
  EXPECT_EQ(s->cpu.throttled_periods, 7u);
  EXPECT_EQ(s->cpu.throttled_time, nanoseconds(345678901));
}

TEST(CgroupStats, V1PrefersNanosecondUserAndSystemFiles) {
  FakeTree t;
  CgroupSet set({t.controller("cpuacct", {{"cpuacct.usage", "300\n"},
                                          {"cpuacct.usage_user", "200\n"},
                                          {"cpuacct.usage_sys", "100\n"},
                                          {"cpuacct.stat", "user 9\nsystem 9\n"}})});
  auto s = read_stats(set);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->cpu.user, nanoseconds(200));
  EXPECT_EQ(s->cpu.system, nanoseconds(100));
}

TEST(CgroupStats, V1Memory) {
  FakeTree t;
  auto s = read_stats(v1_set(t));
  ASSERT_TRUE(s.ok()) << s.error().message();
  const MemoryStats& m = s->memory;
  EXPECT_EQ(m.memory.usage_bytes, 16777216u);
  EXPECT_EQ(m.memory.max_usage_bytes, 33554432u);
  EXPECT_EQ(m.memory.limit_bytes, 67108864u);
  EXPECT_EQ(m.memory.failcnt, 2u);
  EXPECT_EQ(m.memory_swap.limit_bytes, 9223372036854771712u);
  EXPECT_EQ(m.cache_bytes, 9371648u);
  EXPECT_EQ(m.rss_bytes, 5611520u);
  EXPECT_EQ(m.working_set_bytes, 16777216u - 2097152u);  // usage minus total_inactive_file
  EXPECT_EQ(m.page_faults, 107762u);
  EXPECT_EQ(m.major_page_faults, 3u);
  EXPECT_EQ(m.raw.at("mapped_file"), 7557120u);
  EXPECT_EQ(m.raw.size(), 25u);
}

TEST(CgroupStats, V1PidsIoAndHugetlb) {
  FakeTree t;
  auto s = read_stats(v1_set(t));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->pids.current, 4u);
  EXPECT_EQ(s->pids.limit, kUnlimited);
  ASSERT_EQ(s->io.service_bytes.size(), 6u);  // the trailing "Total" line is not a device's
  EXPECT_EQ(s->io.service_bytes[0].major, 8u);
  EXPECT_EQ(s->io.service_bytes[0].minor, 0u);
  EXPECT_EQ(s->io.service_bytes[0].op, "Read");
  EXPECT_EQ(s->io.service_bytes[0].value, 4096u);
  EXPECT_EQ(s->io.service_bytes[1].op, "Write");
  EXPECT_EQ(s->io.service_bytes[1].value, 8192u);
  ASSERT_EQ(s->io.serviced.size(), 6u);
  EXPECT_EQ(s->io.serviced[1].value, 2u);
  ASSERT_EQ(s->hugetlb.count("2MB"), 1u);
  EXPECT_EQ(s->hugetlb["2MB"].usage_bytes, 4194304u);
  EXPECT_EQ(s->hugetlb["2MB"].max_usage_bytes, 6291456u);
  EXPECT_EQ(s->hugetlb["2MB"].failcnt, 1u);
}

TEST(CgroupStats, V1BlkioFallsBackToTheLocalFiles) {
  FakeTree t;
  CgroupSet set({t.controller("blkio", {{"blkio.throttle.io_service_bytes", "253:1 Read 512\nTotal 512\n"},
                                        {"blkio.throttle.io_serviced", "253:1 Read 1\nTotal 1\n"}})});
  auto s = read_stats(set);
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->io.service_bytes.size(), 1u);
  EXPECT_EQ(s->io.service_bytes[0].major, 253u);
  EXPECT_EQ(s->io.service_bytes[0].minor, 1u);
  EXPECT_EQ(s->io.service_bytes[0].value, 512u);
}

TEST(CgroupStats, MissingFilesLeaveValuesAbsent) {
  FakeTree t;
  // An old kernel's memory controller: no memsw (swap accounting off), no oom_kill line.
  CgroupSet set({t.controller("memory", {{"memory.usage_in_bytes", "4096\n"}}), t.controller("pids", {})});
  auto s = read_stats(set);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->memory.memory.usage_bytes, 4096u);
  EXPECT_FALSE(s->memory.memory.limit_bytes);
  EXPECT_FALSE(s->memory.memory_swap.usage_bytes);
  EXPECT_FALSE(s->memory.working_set_bytes);
  EXPECT_FALSE(s->cpu.total);
  EXPECT_FALSE(s->pids.current);
  EXPECT_TRUE(s->io.service_bytes.empty());
  EXPECT_TRUE(s->hugetlb.empty());
}

TEST(CgroupStats, MalformedFileIsAnErrorNamingIt) {
  FakeTree t;
  CgroupSet set({t.controller("memory", {{"memory.usage_in_bytes", "lots\n"}})});
  auto s = read_stats(set);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("memory/memory.usage_in_bytes: \"lots\" is not a number"), std::string::npos)
      << s.error().message();

  FakeTree t2;
  CgroupSet blkio({t2.controller("blkio", {{"blkio.throttle.io_serviced_recursive", "8:0 Read\n"}})});
  auto b = read_stats(blkio);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("blkio.throttle.io_serviced_recursive: line \"8:0 Read\""), std::string::npos)
      << b.error().message();
}

const char* const kV2MemoryStat =
    "anon 5611520\nfile 9371648\nkernel 1011712\nkernel_stack 65536\npagetables 135168\nsock 0\n"
    "shmem 0\nfile_mapped 7557120\nfile_dirty 57344\nfile_writeback 0\nswapcached 0\n"
    "inactive_anon 0\nactive_anon 5611520\ninactive_file 2097152\nactive_file 7274496\n"
    "unevictable 0\npgfault 107762\npgmajfault 3\n";

CgroupSet v2_set(FakeTree& t) {
  return CgroupSet(
      {t.controller("",
                    {{"cpu.stat",
                      "usage_usec 2870474\nuser_usec 2500000\nsystem_usec 370474\ncore_sched.force_idle_usec 0\n"
                      "nr_periods 120\nnr_throttled 7\nthrottled_usec 345678\nnr_bursts 0\nburst_usec 0\n"},
                     {"memory.current", "16777216\n"},
                     {"memory.peak", "33554432\n"},
                     {"memory.max", "67108864\n"},
                     {"memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n"},
                     {"memory.swap.current", "1048576\n"},
                     {"memory.swap.max", "max\n"},
                     {"memory.swap.events", "high 0\nmax 0\nfail 0\n"},
                     {"memory.stat", kV2MemoryStat},
                     {"pids.current", "3\n"},
                     {"pids.max", "100\n"},
                     {"io.stat",
                      "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
                      "253:1 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"},
                     {"hugetlb.2MB.current", "4194304\n"},
                     {"hugetlb.2MB.max", "max\n"},
                     {"hugetlb.2MB.events", "max 1\n"},
                     {"hugetlb.1GB.current", "0\n"},
                     {"hugetlb.1GB.events", "max 0\n"}},
                    true)});
}

TEST(CgroupStats, V2CpuIsConvertedFromMicroseconds) {
  FakeTree t;
  auto s = read_stats(v2_set(t));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->cpu.total, nanoseconds(2870474000));
  EXPECT_EQ(s->cpu.user, nanoseconds(2500000000));
  EXPECT_EQ(s->cpu.system, nanoseconds(370474000));
  EXPECT_TRUE(s->cpu.per_cpu.empty());
  EXPECT_EQ(s->cpu.periods, 120u);
  EXPECT_EQ(s->cpu.throttled_periods, 7u);
  EXPECT_EQ(s->cpu.throttled_time, nanoseconds(345678000));
}

TEST(CgroupStats, V2MemoryCountsSwapWithMemoryLikeV1) {
  FakeTree t;
  auto s = read_stats(v2_set(t));
  ASSERT_TRUE(s.ok()) << s.error().message();
  const MemoryStats& m = s->memory;
  EXPECT_EQ(m.memory.usage_bytes, 16777216u);
  EXPECT_EQ(m.memory.max_usage_bytes, 33554432u);
  EXPECT_EQ(m.memory.limit_bytes, 67108864u);
  EXPECT_EQ(m.memory.failcnt, 5u);
  EXPECT_EQ(m.memory_swap.usage_bytes, 16777216u + 1048576u);
  EXPECT_EQ(m.memory_swap.limit_bytes, kUnlimited);
  EXPECT_EQ(m.memory_swap.failcnt, 0u);
  EXPECT_EQ(m.cache_bytes, 9371648u);
  EXPECT_EQ(m.rss_bytes, 5611520u);
  EXPECT_EQ(m.working_set_bytes, 16777216u - 2097152u);
  EXPECT_EQ(m.page_faults, 107762u);
  EXPECT_EQ(m.major_page_faults, 3u);
  EXPECT_EQ(m.raw.at("kernel_stack"), 65536u);
}

TEST(CgroupStats, V2PidsIoAndHugetlb) {
  FakeTree t;
  auto s = read_stats(v2_set(t));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->pids.current, 3u);
  EXPECT_EQ(s->pids.limit, 100u);
  ASSERT_EQ(s->io.service_bytes.size(), 4u);
  EXPECT_EQ(s->io.service_bytes[0].op, "Read");
  EXPECT_EQ(s->io.service_bytes[0].value, 4096u);
  EXPECT_EQ(s->io.service_bytes[1].op, "Write");
  EXPECT_EQ(s->io.service_bytes[1].value, 8192u);
  EXPECT_EQ(s->io.service_bytes[2].major, 253u);
  EXPECT_EQ(s->io.service_bytes[2].minor, 1u);
  ASSERT_EQ(s->io.serviced.size(), 4u);
  EXPECT_EQ(s->io.serviced[1].value, 2u);
  ASSERT_EQ(s->hugetlb.size(), 2u);
  EXPECT_EQ(s->hugetlb["2MB"].usage_bytes, 4194304u);
  EXPECT_EQ(s->hugetlb["2MB"].failcnt, 1u);
  EXPECT_FALSE(s->hugetlb["2MB"].max_usage_bytes);
  EXPECT_EQ(s->hugetlb["1GB"].usage_bytes, 0u);
}

TEST(CgroupStats, V2MalformedIoStatIsAnErrorNamingIt) {
  FakeTree t;
  CgroupSet set({t.controller("", {{"io.stat", "8:0 rbytes=many\n"}}, true)});
  auto s = read_stats(set);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("io.stat: \"rbytes=many\" is not key=number"), std::string::npos)
      << s.error().message();
}

TEST(OomKillCount, ReadFromV1OomControl) {
  FakeTree t;
  auto n = oom_kill_count(v1_set(t));
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(*n, 3u);
}

TEST(OomKillCount, ReadFromV2MemoryEvents) {
  FakeTree t;
  auto n = oom_kill_count(v2_set(t));
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(*n, 1u);
}

TEST(OomKillCount, KernelWithoutTheCounterIsAnError) {
  FakeTree t;
  CgroupSet set({t.controller("memory", {{"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n"}})});
  auto n = oom_kill_count(set);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().message().find("has no oom_kill line"), std::string::npos) << n.error().message();
}

TEST(OomKillCount, NoMemoryControllerIsAnError) {
  FakeTree t;
  CgroupSet set({t.controller("pids", {{"pids.current", "1\n"}})});
  auto n = oom_kill_count(set);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().message().find("no memory cgroup controller"), std::string::npos) << n.error().message();
}

}  // namespace
}  // namespace berth::cgroups
