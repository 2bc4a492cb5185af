// events [--stats] [--interval 5s] ID: a container's statistics and OOM events as JSON
// lines (runtime/container/events.h), runc's flags and output.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/oci/args.h"
#include "cli/oci/commands_cgroup.h"
#include "common/time.h"
#include "runtime/container/events.h"

namespace berth::cli {
namespace {

// One event per line, flushed at once: a reader on a pipe sees each as it happens.
void print_line(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

Result<std::chrono::nanoseconds> interval_of(const ParsedArgs& a) {
  if (!a.has("interval")) return std::chrono::nanoseconds(std::chrono::seconds(5));
  std::string text = a.get("interval");
  auto d = parse_go_duration(text);
  if (!d) return Error(EINVAL, "--interval \"" + text + "\": not a duration (such as 5s or 500ms)");
  if (d->count() <= 0) return Error(EINVAL, "--interval \"" + text + "\": must be positive");
  return *d;
}

}  // namespace

Result<int> cmd_events(const Globals& g, const std::vector<std::string>& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {{"stats", "", false}, {"interval", "", true}}, false));
  BERTH_ASSIGN(auto id, one_id(a, "events"));
  BERTH_ASSIGN(auto interval, interval_of(a));
  if (a.flag("stats")) {
    BERTH_ASSIGN(auto stats, container::stats(g.root, id));
    print_line(container::stats_event_json(id, stats));
    return 0;
  }
  BERTH_TRY(container::watch_events(g.root, id, interval, print_line));
  return 0;
}

}  // namespace berth::cli
