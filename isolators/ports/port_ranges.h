// Port allotments as people write them ("31000-31009,8080") and as the ports isolator tests
// them: parse, validate, format, containment and overlap. Pure functions on values: they never
// touch the kernel, a socket or any state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "isolators/isolator.h"

namespace berth::isolators::ports {

// "31000-31009,8080": comma-separated ranges, a single port being a range of one; spaces
// around an item are allowed; "" is no ports. Every range is validated.
Result<std::vector<PortRange>> parse_port_ranges(std::string_view text);

// Each range must have 1 <= begin <= end: "port range 9010-9000: begin is after end".
Status validate_port_ranges(const std::vector<PortRange>& ranges);

// "9000-9009" or "8080" for a range of one.
std::string format_port_range(const PortRange& range);
// The ranges in their order, joined by commas; "none" when there are none.
std::string format_port_ranges(const std::vector<PortRange>& ranges);

bool ranges_contain(const std::vector<PortRange>& ranges, uint16_t port);

// The first pair (one range of `a`, one of `b`) that share a port, if any.
std::optional<std::pair<PortRange, PortRange>> find_overlap(const std::vector<PortRange>& a,
                                                            const std::vector<PortRange>& b);

}  // namespace berth::isolators::ports
