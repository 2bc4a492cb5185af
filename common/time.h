// Time as text: wall-clock stamps, and durations in the syntax of runc's flags.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace berth {

// Now, UTC, with nanoseconds: "2026-11-26T04:28:16.123456789Z" (runc's log and state format).
std::string rfc3339_now();

// A duration in Go's syntax (time.ParseDuration), as runc's flags take it: a sequence of
// decimal numbers with units ns, us (or µs), ms, s, m, h, optionally signed: "5s",
// "500ms", "1m30s", "1.5h". "0" alone is zero. nullopt on anything else or overflow.
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

}  // namespace berth
