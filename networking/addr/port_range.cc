#include "networking/addr/port_range.h"

#include <algorithm>

#include "common/strings.h"

namespace berth::networking {
namespace {

std::optional<uint16_t> parse_port(std::string_view s) {
  auto n = parse_uint(s);
  if (!n || *n > UINT16_MAX) return std::nullopt;
  return static_cast<uint16_t>(*n);
}

Result<PortRange> parse_item(std::string_view item) {
  const auto dash = item.find('-');
  const auto first = parse_port(trim(item.substr(0, dash)));
  const auto last = dash == std::string_view::npos ? first : parse_port(trim(item.substr(dash + 1)));
  if (!first || !last) {
    return Error(EINVAL, "\"" + std::string(item) + "\" is not a port (0-65535) or a range of ports like 9000-9009");
  }
  return PortRange{*first, *last};
}

}  // namespace

Result<std::vector<PortRange>> parse_port_ranges(std::string_view text) {
  std::vector<PortRange> ranges;
  if (trim(text).empty()) return ranges;
  const std::string context = "port ranges \"" + std::string(text) + "\"";
  for (const auto& item : split(text, ',')) {
    auto range = parse_item(trim(item));
    if (!range) return std::move(range).error().context(context);
    ranges.push_back(*range);
  }
  if (auto valid = validate_port_ranges(ranges); !valid) return std::move(valid).error().context(context);
  return ranges;
}

Status validate_port_ranges(const std::vector<PortRange>& ranges) {
  for (const auto& r : ranges) {
    const std::string what = "port range " + std::to_string(r.begin) + "-" + std::to_string(r.end);
    if (r.begin == 0) return Error(EINVAL, what + ": port 0 cannot be allotted (ports start at 1)");
    if (r.begin > r.end) return Error(EINVAL, what + ": begin is after end");
  }
  return ok();
}

std::string format_port_range(const PortRange& range) {
  if (range.begin == range.end) return std::to_string(range.begin);
  return std::to_string(range.begin) + "-" + std::to_string(range.end);
}

std::string format_port_ranges(const std::vector<PortRange>& ranges) {
  if (ranges.empty()) return "none";
  std::vector<std::string> parts;
  parts.reserve(ranges.size());
  for (const auto& r : ranges) parts.push_back(format_port_range(r));
  return join(parts, ",");
}

bool ranges_contain(const std::vector<PortRange>& ranges, uint16_t port) {
  return std::any_of(ranges.begin(), ranges.end(), [port](const PortRange& r) { return r.contains(port); });
}

std::optional<std::pair<PortRange, PortRange>> find_overlap(const std::vector<PortRange>& a,
                                                            const std::vector<PortRange>& b) {
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (x.overlaps(y)) return std::pair{x, y};
    }
  }
  return std::nullopt;
}

}  // namespace berth::networking
