// Statistics on cgroup v2: every controller's files in the one unified directory.
#include "common/file.h"
#include "common/strings.h"
#include "isolators/cgroups/stats.h"
#include "isolators/cgroups/stats_internal.h"

namespace berth::cgroups {
namespace {

using std::chrono::nanoseconds;

// v2 counts CPU time in microseconds.
std::optional<nanoseconds> usec(std::optional<uint64_t> v) {
  if (!v) return std::nullopt;
  return nanoseconds(static_cast<nanoseconds::rep>(*v * 1000));
}

Status read_cpu(const std::string& dir, CpuStats& cpu) {
  BERTH_ASSIGN(auto stat, read_keyed(dir, "cpu.stat"));
  cpu.total = usec(value_of(stat, "usage_usec"));
  cpu.user = usec(value_of(stat, "user_usec"));
  cpu.system = usec(value_of(stat, "system_usec"));
  cpu.periods = value_of(stat, "nr_periods");
  cpu.throttled_periods = value_of(stat, "nr_throttled");
  cpu.throttled_time = usec(value_of(stat, "throttled_usec"));
  return ok();
}

// Adds two limits where either may be unlimited.
std::optional<uint64_t> add_limits(std::optional<uint64_t> a, std::optional<uint64_t> b) {
  if (!a || !b) return std::nullopt;
  if (*a == kUnlimited || *b == kUnlimited) return kUnlimited;
  return *a + *b;
}

Status read_memory(const std::string& dir, MemoryStats& m) {
  MemoryCounter& mem = m.memory;
  BERTH_ASSIGN(mem.usage_bytes, read_number(dir, "memory.current"));
  BERTH_ASSIGN(mem.max_usage_bytes, read_number(dir, "memory.peak"));  // Linux 5.19
  BERTH_ASSIGN(mem.limit_bytes, read_number(dir, "memory.max"));
  BERTH_ASSIGN(auto events, read_keyed(dir, "memory.events"));
  mem.failcnt = value_of(events, "max");  // times the usage was about to go over memory.max

  // v2 counts swap alone; v1 (and runc's report) counts memory plus swap.
  BERTH_ASSIGN(auto swap_usage, read_number(dir, "memory.swap.current"));
  BERTH_ASSIGN(auto swap_peak, read_number(dir, "memory.swap.peak"));
  BERTH_ASSIGN(auto swap_limit, read_number(dir, "memory.swap.max"));
  if (swap_usage && mem.usage_bytes) m.memory_swap.usage_bytes = *swap_usage + *mem.usage_bytes;
  if (swap_peak && mem.max_usage_bytes) m.memory_swap.max_usage_bytes = *swap_peak + *mem.max_usage_bytes;
  m.memory_swap.limit_bytes = add_limits(swap_limit, mem.limit_bytes);
  BERTH_ASSIGN(auto swap_events, read_keyed(dir, "memory.swap.events"));
  m.memory_swap.failcnt = value_of(swap_events, "fail");

  BERTH_ASSIGN(m.raw, read_keyed(dir, "memory.stat"));
  m.cache_bytes = value_of(m.raw, "file");
  m.rss_bytes = value_of(m.raw, "anon");
  m.page_faults = value_of(m.raw, "pgfault");
  m.major_page_faults = value_of(m.raw, "pgmajfault");
  auto inactive = value_of(m.raw, "inactive_file");
  if (mem.usage_bytes && inactive) {
    m.working_set_bytes = *mem.usage_bytes > *inactive ? *mem.usage_bytes - *inactive : 0;
  }
  return ok();
}

std::string op_of(std::string_view key) { return key[0] == 'r' ? "Read" : "Write"; }

// io.stat: "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0" per device.
Status read_io(const std::string& dir, IoStats& io) {
  BERTH_ASSIGN(auto text, read_if_present(dir, "io.stat"));
  if (!text) return ok();
  for (const auto& line : split(*text, '\n')) {
    auto f = fields_of(line);
    if (f.empty()) continue;
    uint64_t major = 0;
    uint64_t minor = 0;
    if (!parse_device(f[0], major, minor)) return malformed(dir, "io.stat", "line \"" + line + "\" has no major:minor");
    for (size_t i = 1; i < f.size(); ++i) {
      auto eq = f[i].find('=');
      auto value = eq == std::string_view::npos ? std::nullopt : parse_uint(f[i].substr(eq + 1));
      if (!value) return malformed(dir, "io.stat", "\"" + std::string(f[i]) + "\" is not key=number");
      auto key = f[i].substr(0, eq);
      // Discards (dbytes, dios) have no v1 counterpart, as in runc's report.
      if (key == "rbytes" || key == "wbytes") io.service_bytes.push_back(IoEntry{major, minor, op_of(key), *value});
      if (key == "rios" || key == "wios") io.serviced.push_back(IoEntry{major, minor, op_of(key), *value});
    }
  }
  return ok();
}

// hugetlb.<size>.current and the "max" count of hugetlb.<size>.events for each page size.
Result<std::map<std::string, HugetlbStats>> read_hugetlb(const std::string& dir) {
  std::map<std::string, HugetlbStats> out;
  BERTH_ASSIGN(auto sizes, hugetlb_page_sizes(dir, ".current"));
  for (const auto& size : sizes) {
    const std::string prefix = "hugetlb." + size;
    HugetlbStats h;
    BERTH_ASSIGN(h.usage_bytes, read_number(dir, prefix + ".current"));
    BERTH_ASSIGN(auto events, read_keyed(dir, prefix + ".events"));
    h.failcnt = value_of(events, "max");
    out.emplace(size, h);
  }
  return out;
}

}  // namespace

Result<Stats> read_stats_v2(const std::string& dir) {
  Stats s;
  BERTH_TRY(read_cpu(dir, s.cpu));
  BERTH_TRY(read_memory(dir, s.memory));
  BERTH_ASSIGN(s.pids.current, read_number(dir, "pids.current"));
  BERTH_ASSIGN(s.pids.limit, read_number(dir, "pids.max"));
  BERTH_TRY(read_io(dir, s.io));
  if (path_exists(dir)) {
    BERTH_ASSIGN(s.hugetlb, read_hugetlb(dir));
  }
  return s;
}

}  // namespace berth::cgroups
