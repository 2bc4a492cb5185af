// Statistics on cgroup v1: each controller's files in its own hierarchy.
#include <unistd.h>

#include "common/file.h"
#include "common/strings.h"
#include "isolators/cgroups/stats.h"
#include "isolators/cgroups/stats_internal.h"

namespace berth::cgroups {
namespace {

using std::chrono::nanoseconds;

std::optional<nanoseconds> as_ns(std::optional<uint64_t> v) {
  if (!v) return std::nullopt;
  return nanoseconds(static_cast<nanoseconds::rep>(*v));
}

// cpuacct.stat counts in USER_HZ ticks, which sysconf reports as the clock tick.
nanoseconds ticks_to_ns(uint64_t ticks) {
  static const long kTicksPerSecond = ::sysconf(_SC_CLK_TCK);
  const uint64_t per_tick = 1'000'000'000ULL / static_cast<uint64_t>(kTicksPerSecond > 0 ? kTicksPerSecond : 100);
  return nanoseconds(static_cast<nanoseconds::rep>(ticks * per_tick));
}

Result<std::vector<nanoseconds>> read_per_cpu(const std::string& dir) {
  std::vector<nanoseconds> out;
  BERTH_ASSIGN(auto text, read_if_present(dir, "cpuacct.usage_percpu"));
  if (!text) return out;
  for (auto field : fields_of(trim(*text))) {
    auto n = parse_uint(field);
    if (!n) return malformed(dir, "cpuacct.usage_percpu", "\"" + std::string(field) + "\" is not a number");
    out.emplace_back(static_cast<nanoseconds::rep>(*n));
  }
  return out;
}

Status read_cpuacct(const std::string& dir, CpuStats& cpu) {
  BERTH_ASSIGN(auto total, read_number(dir, "cpuacct.usage"));
  cpu.total = as_ns(total);
  BERTH_ASSIGN(cpu.per_cpu, read_per_cpu(dir));
  // cpuacct.usage_user and _sys (Linux 4.7) count nanoseconds; cpuacct.stat only ticks.
  BERTH_ASSIGN(auto user, read_number(dir, "cpuacct.usage_user"));
  BERTH_ASSIGN(auto sys, read_number(dir, "cpuacct.usage_sys"));
  if (user && sys) {
    cpu.user = as_ns(user);
    cpu.system = as_ns(sys);
    return ok();
  }
  BERTH_ASSIGN(auto stat, read_keyed(dir, "cpuacct.stat"));
  if (auto v = value_of(stat, "user")) cpu.user = ticks_to_ns(*v);
  if (auto v = value_of(stat, "system")) cpu.system = ticks_to_ns(*v);
  return ok();
}

Status read_throttling(const std::string& dir, CpuStats& cpu) {
  BERTH_ASSIGN(auto stat, read_keyed(dir, "cpu.stat"));
  cpu.periods = value_of(stat, "nr_periods");
  cpu.throttled_periods = value_of(stat, "nr_throttled");
  cpu.throttled_time = as_ns(value_of(stat, "throttled_time"));  // v1 counts nanoseconds
  return ok();
}

Result<MemoryCounter> read_counter(const std::string& dir, const std::string& prefix) {
  MemoryCounter c;
  BERTH_ASSIGN(c.usage_bytes, read_number(dir, prefix + ".usage_in_bytes"));
  BERTH_ASSIGN(c.max_usage_bytes, read_number(dir, prefix + ".max_usage_in_bytes"));
  BERTH_ASSIGN(c.limit_bytes, read_number(dir, prefix + ".limit_in_bytes"));
  BERTH_ASSIGN(c.failcnt, read_number(dir, prefix + ".failcnt"));
  return c;
}

// memory.stat's hierarchical total_ counter (what usage_in_bytes counts too), else the local one.
std::optional<uint64_t> total_or_local(const std::map<std::string, uint64_t>& stat, const std::string& key) {
  if (auto v = value_of(stat, "total_" + key)) return v;
  return value_of(stat, key);
}

Status read_memory(const std::string& dir, MemoryStats& m) {
  BERTH_ASSIGN(m.memory, read_counter(dir, "memory"));
  BERTH_ASSIGN(m.memory_swap, read_counter(dir, "memory.memsw"));
  BERTH_ASSIGN(m.raw, read_keyed(dir, "memory.stat"));
  m.cache_bytes = total_or_local(m.raw, "cache");
  m.rss_bytes = total_or_local(m.raw, "rss");
  m.page_faults = total_or_local(m.raw, "pgfault");
  m.major_page_faults = total_or_local(m.raw, "pgmajfault");
  auto inactive = total_or_local(m.raw, "inactive_file");
  if (m.memory.usage_bytes && inactive) {
    m.working_set_bytes = *m.memory.usage_bytes > *inactive ? *m.memory.usage_bytes - *inactive : 0;
  }
  return ok();
}

// blkio.throttle.* lines: "8:0 Read 4096" per device and operation, then "Total 4096".
Result<std::vector<IoEntry>> read_blkio(const std::string& dir, const std::string& name) {
  std::vector<IoEntry> out;
  std::string file = name + "_recursive";
  BERTH_ASSIGN(auto text, read_if_present(dir, file));
  if (!text) {
    file = name;
    BERTH_ASSIGN(text, read_if_present(dir, file));
  }
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    auto f = fields_of(line);
    if (f.empty() || (f.size() == 2 && f[0] == "Total")) continue;
    IoEntry e;
    auto value = f.size() == 3 ? parse_uint(f[2]) : std::nullopt;
    if (!value || !parse_device(f[0], e.major, e.minor)) {
      return malformed(dir, file, "line \"" + line + R"(" is not "major:minor operation number")");
    }
    e.op = f[1];
    e.value = *value;
    out.push_back(std::move(e));
  }
  return out;
}

// hugetlb.<size>.usage_in_bytes, .max_usage_in_bytes and .failcnt for each page size.
Result<std::map<std::string, HugetlbStats>> read_hugetlb(const std::string& dir) {
  std::map<std::string, HugetlbStats> out;
  BERTH_ASSIGN(auto sizes, hugetlb_page_sizes(dir, ".usage_in_bytes"));
  for (const auto& size : sizes) {
    const std::string prefix = "hugetlb." + size;
    HugetlbStats h;
    BERTH_ASSIGN(h.usage_bytes, read_number(dir, prefix + ".usage_in_bytes"));
    BERTH_ASSIGN(h.max_usage_bytes, read_number(dir, prefix + ".max_usage_in_bytes"));
    BERTH_ASSIGN(h.failcnt, read_number(dir, prefix + ".failcnt"));
    out.emplace(size, h);
  }
  return out;
}

}  // namespace

Result<Stats> read_stats_v1(const CgroupSet& set) {
  Stats s;
  if (const CgroupDir* d = set.v1_dir("cpuacct")) BERTH_TRY(read_cpuacct(d->path, s.cpu));
  if (const CgroupDir* d = set.v1_dir("cpu")) BERTH_TRY(read_throttling(d->path, s.cpu));
  if (const CgroupDir* d = set.v1_dir("memory")) BERTH_TRY(read_memory(d->path, s.memory));
  if (const CgroupDir* d = set.v1_dir("pids")) {
    BERTH_ASSIGN(s.pids.current, read_number(d->path, "pids.current"));
    BERTH_ASSIGN(s.pids.limit, read_number(d->path, "pids.max"));
  }
  if (const CgroupDir* d = set.v1_dir("blkio")) {
    BERTH_ASSIGN(s.io.service_bytes, read_blkio(d->path, "blkio.throttle.io_service_bytes"));
    BERTH_ASSIGN(s.io.serviced, read_blkio(d->path, "blkio.throttle.io_serviced"));
  }
  if (const CgroupDir* d = set.v1_dir("hugetlb"); d != nullptr && path_exists(d->path)) {
    BERTH_ASSIGN(s.hugetlb, read_hugetlb(d->path));
  }
  return s;
}

}  // namespace berth::cgroups
