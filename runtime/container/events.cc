#include "runtime/container/events.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "common/fd.h"
#include "common/json.h"
#include "common/log.h"
#include "isolators/cgroups/cgroup_set.h"
#include "runtime/container/container.h"

namespace berth::container {
namespace {

Result<StateView> live_container(const std::string& root, const std::string& id) {
  BERTH_ASSIGN(StateView view, state(root, id));
  if (view.status == "stopped") return Error(EINVAL, "container \"" + id + "\" is not running");
  return view;
}

void put(JsonWriter& w, std::string_view key, uint64_t value) {
  json_key(w, key);
  w.Uint64(value);
}

// runc leaves out the zero values of most fields (Go's omitempty); berth leaves out the
// ones this host does not count.
void put(JsonWriter& w, std::string_view key, std::optional<uint64_t> value) {
  if (value) put(w, key, *value);
}

void put(JsonWriter& w, std::string_view key, std::optional<std::chrono::nanoseconds> value) {
  if (value) put(w, key, static_cast<uint64_t>(value->count()));
}

void write_cpu(JsonWriter& w, const cgroups::CpuStats& cpu) {
  json_key(w, "cpu");
  w.StartObject();
  json_key(w, "usage");
  w.StartObject();
  put(w, "total", cpu.total);
  if (!cpu.per_cpu.empty()) {
    json_key(w, "percpu");
    w.StartArray();
    for (auto ns : cpu.per_cpu) w.Uint64(static_cast<uint64_t>(ns.count()));
    w.EndArray();
  }
  // runc always writes these two.
  put(w, "kernel", static_cast<uint64_t>(cpu.system.value_or(std::chrono::nanoseconds(0)).count()));
  put(w, "user", static_cast<uint64_t>(cpu.user.value_or(std::chrono::nanoseconds(0)).count()));
  w.EndObject();
  json_key(w, "throttling");
  w.StartObject();
  put(w, "periods", cpu.periods);
  put(w, "throttledPeriods", cpu.throttled_periods);
  put(w, "throttledTime", cpu.throttled_time);
  w.EndObject();
  w.EndObject();
}

void write_memory_entry(JsonWriter& w, std::string_view key, const cgroups::MemoryCounter& c) {
  json_key(w, key);
  w.StartObject();
  put(w, "limit", c.limit_bytes.value_or(0));
  put(w, "usage", c.usage_bytes);
  put(w, "max", c.max_usage_bytes);
  put(w, "failcnt", c.failcnt.value_or(0));
  w.EndObject();
}

void write_memory(JsonWriter& w, const cgroups::MemoryStats& m) {
  json_key(w, "memory");
  w.StartObject();
  put(w, "cache", m.cache_bytes);
  write_memory_entry(w, "usage", m.memory);
  write_memory_entry(w, "swap", m.memory_swap);
  if (!m.raw.empty()) {
    json_key(w, "raw");
    w.StartObject();
    for (const auto& [key, value] : m.raw) put(w, key, value);
    w.EndObject();
  }
  w.EndObject();
}

void write_io_entries(JsonWriter& w, std::string_view key, const std::vector<cgroups::IoEntry>& entries) {
  if (entries.empty()) return;
  json_key(w, key);
  w.StartArray();
  for (const auto& e : entries) {
    w.StartObject();
    put(w, "major", e.major);
    put(w, "minor", e.minor);
    json_key(w, "op");
    json_string(w, e.op);
    put(w, "value", e.value);
    w.EndObject();
  }
  w.EndArray();
}

void write_data(JsonWriter& w, const cgroups::Stats& s) {
  w.StartObject();
  write_cpu(w, s.cpu);
  write_memory(w, s.memory);
  json_key(w, "pids");
  w.StartObject();
  put(w, "current", s.pids.current);
  // runc reports no limit ("max") as none at all.
  if (s.pids.limit && *s.pids.limit != cgroups::kUnlimited) put(w, "limit", *s.pids.limit);
  w.EndObject();
  json_key(w, "blkio");
  w.StartObject();
  write_io_entries(w, "ioServiceBytesRecursive", s.io.service_bytes);
  write_io_entries(w, "ioServicedRecursive", s.io.serviced);
  w.EndObject();
  json_key(w, "hugetlb");
  w.StartObject();
  for (const auto& [size, h] : s.hugetlb) {
    json_key(w, size);
    w.StartObject();
    put(w, "usage", h.usage_bytes);
    put(w, "max", h.max_usage_bytes);
    put(w, "failcnt", h.failcnt.value_or(0));
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
}

std::string event_json(std::string_view type, const std::string& id, const cgroups::Stats* data) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  json_key(w, "type");
  json_string(w, type);
  json_key(w, "id");
  json_string(w, id);
  if (data != nullptr) {
    json_key(w, "data");
    write_data(w, *data);
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

// Sleeps for `interval`, or less when the process behind `pidfd` exits.
void wait_for(int pidfd, std::chrono::nanoseconds interval) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(interval).count();
  pollfd p{pidfd, POLLIN, 0};
  int timeout = ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
  if (::poll(&p, pidfd >= 0 ? 1 : 0, timeout) < 0 && errno != EINTR) ::usleep(1000);
}

}  // namespace

Result<cgroups::Stats> stats(const std::string& root, const std::string& id) {
  BERTH_ASSIGN(StateView view, live_container(root, id));
  return cgroups::read_stats(cgroups::CgroupSet(view.record.cgroups)).context("container \"" + id + "\"");
}

std::string stats_event_json(const std::string& id, const cgroups::Stats& stats) {
  return event_json("stats", id, &stats);
}

std::string oom_event_json(const std::string& id) { return event_json("oom", id, nullptr); }

Status watch_events(const std::string& root, const std::string& id, std::chrono::nanoseconds interval,
                    const std::function<void(const std::string&)>& emit) {
  BERTH_ASSIGN(StateView view, live_container(root, id));
  const Record& r = view.record;
  cgroups::CgroupSet set(r.cgroups);
  // Without a pidfd (Linux < 5.3) the wait is the whole interval.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, r.pid, 0)));
  std::optional<uint64_t> kills;
  if (auto n = cgroups::oom_kill_count(set)) {
    kills = *n;
  } else {
    log::warn("container \"" + id + "\": no OOM events: " + n.error().message());
  }
  for (;;) {
    // Whether it is alive is asked before the OOM count is read: a kill that stopped it
    // is counted by then.
    bool alive = process_alive(r.pid, r.start_time);
    if (kills) {
      auto n = cgroups::oom_kill_count(set);
      if (n && *n > *kills) emit(oom_event_json(id));
      if (n) kills = *n;
    }
    if (!alive) return ok();
    if (auto s = cgroups::read_stats(set)) {
      emit(stats_event_json(id, *s));
    } else {
      log::warn("container \"" + id + "\": " + s.error().message());
    }
    wait_for(pidfd ? pidfd.get() : -1, interval);
  }
}

}  // namespace berth::container
