// Resource usage of a container's cgroups, read from the v1 controller files or the v2
// unified ones into one shape (CPU in nanoseconds, memory in bytes), for `events` and the
// isolators' usage(). Only reads: never writes a cgroup file. A file this kernel or host
// lacks leaves its values absent; a file that is there but unreadable is an error naming it.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "isolators/cgroups/cgroup_set.h"

namespace berth::cgroups {

// A limit of "max" (v2, pids.max) reads as this, as runc reports it.
inline constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

struct CpuStats {
  std::optional<std::chrono::nanoseconds> total, user, system;
  std::vector<std::chrono::nanoseconds> per_cpu;  // v1 cpuacct.usage_percpu; empty on v2
  std::optional<uint64_t> periods, throttled_periods;
  std::optional<std::chrono::nanoseconds> throttled_time;
};

// One memory counter: usage, high-water mark, limit and how often the limit was hit.
struct MemoryCounter {
  std::optional<uint64_t> usage_bytes, max_usage_bytes, limit_bytes, failcnt;
};

struct MemoryStats {
  MemoryCounter memory;
  // Memory plus swap, as v1's memsw counts it and runc reports it (v2's swap-only files
  // have memory added).
  MemoryCounter memory_swap;
  std::optional<uint64_t> cache_bytes, rss_bytes;
  // usage minus inactive file pages: what the kernel cannot easily take back.
  std::optional<uint64_t> working_set_bytes;
  std::optional<uint64_t> page_faults, major_page_faults;
  std::map<std::string, uint64_t> raw;  // memory.stat as the kernel wrote it
};

struct PidsStats {
  std::optional<uint64_t> current, limit;  // limit kUnlimited for "max"
};

// One "major:minor op value" of the block I/O counters; op is the kernel's word on v1
// (Read, Write, Sync, Async, Discard, Total) and Read or Write on v2.
struct IoEntry {
  uint64_t major = 0, minor = 0;
  std::string op;
  uint64_t value = 0;
};

struct IoStats {
  std::vector<IoEntry> service_bytes;  // bytes moved
  std::vector<IoEntry> serviced;       // operations
};

struct HugetlbStats {
  std::optional<uint64_t> usage_bytes, max_usage_bytes, failcnt;  // v2 has no max usage
};

struct Stats {
  CpuStats cpu;
  MemoryStats memory;
  PidsStats pids;
  IoStats io;
  std::map<std::string, HugetlbStats> hugetlb;  // by page size: "2MB", "1GB"
};

// Everything above that this host offers for the container's cgroups.
Result<Stats> read_stats(const CgroupSet& set);

// How many processes the kernel's OOM killer has killed in the container's memory cgroup:
// v1 memory.oom_control "oom_kill N", v2 memory.events "oom_kill N".
Result<uint64_t> oom_kill_count(const CgroupSet& set);

}  // namespace berth::cgroups
