// Wall-clock time as text.
#pragma once

#include <string>

namespace berth {

// Now, UTC, with nanoseconds: "2026-11-26T04:28:16.123456789Z" (runc's log and state format).
std::string rfc3339_now();

}  // namespace berth
