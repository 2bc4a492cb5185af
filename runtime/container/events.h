// events: a container's resource statistics and OOM kills, printed the way runc events
// prints them: one stats document, or a stream of them with an "oom" event each time the
// kernel's OOM killer strikes in the container, until the container stops. Only reads.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "common/result.h"
#include "isolators/cgroups/stats.h"

namespace berth::container {

// The statistics of a created, running or paused container; refuses a stopped one.
Result<cgroups::Stats> stats(const std::string& root, const std::string& id);

// {"type":"stats","id":ID,"data":{...}} on one line, data in runc's shape: cpu.usage
// (total, percpu, kernel, user), cpu.throttling, memory (cache, usage, swap, raw), pids,
// blkio (ioServiceBytesRecursive, ioServicedRecursive), hugetlb.
std::string stats_event_json(const std::string& id, const cgroups::Stats& stats);
// {"type":"oom","id":ID}
std::string oom_event_json(const std::string& id);

// Calls `emit` with a stats event now and then every `interval`, and with an oom event
// whenever the container's OOM kill count grows. Returns once the container has stopped,
// after a last look at the OOM count so that a kill which stopped it is reported.
Status watch_events(const std::string& root, const std::string& id, std::chrono::nanoseconds interval,
                    const std::function<void(const std::string&)>& emit);

}  // namespace berth::container
