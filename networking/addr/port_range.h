// Ranges of host ports as people write them ("31000-31009,8080") and as the ports isolator
// and the shared-IP network allot them: parse, validate, format, containment and overlap.
// Pure functions on values: they never touch the kernel, a socket or any state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <cereal/cereal.hpp>

#include "common/result.h"

namespace berth::networking {

// An inclusive range of host ports ("31000-31009"); a single port has begin == end.
struct PortRange {
  uint16_t begin = 0, end = 0;
  [[nodiscard]] bool contains(uint16_t port) const { return port >= begin && port <= end; }
  [[nodiscard]] bool overlaps(const PortRange& other) const { return begin <= other.end && other.begin <= end; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(CEREAL_NVP(begin), CEREAL_NVP(end));
  }
};

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

}  // namespace berth::networking
