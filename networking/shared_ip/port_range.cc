#include "networking/shared_ip/port_range.h"

#include <algorithm>
#include <cerrno>

#include "common/strings.h"

namespace berth::networking::shared_ip {

Result<PortRange> PortRange::make(unsigned first, unsigned last) {
  const std::string text = std::to_string(first) + "-" + std::to_string(last);
  if (first == 0) return Error(EINVAL, "port range " + text + ": ports start at 1");
  if (last > 65535) return Error(EINVAL, "port range " + text + ": ports end at 65535");
  if (first > last) return Error(EINVAL, "port range " + text + ": first port after last");
  return PortRange{static_cast<uint16_t>(first), static_cast<uint16_t>(last)};
}

Result<PortRange> PortRange::parse(std::string_view text) {
  const size_t dash = text.find('-');
  const auto first = parse_uint(text.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : parse_uint(text.substr(dash + 1));
  if (!first || !last || *first > 65535 || *last > 65535) {
    return Error(EINVAL, "port range \"" + std::string(text) + "\": not PORT or FIRST-LAST");
  }
  return make(static_cast<unsigned>(*first), static_cast<unsigned>(*last));
}

std::string PortRange::to_string() const { return std::to_string(first) + "-" + std::to_string(last); }

Result<PortRange> parse_local_port_range(std::string_view sysctl_value) {
  const std::string_view text = trim(sysctl_value);
  const size_t gap = text.find_first_of(" \t");
  const Error malformed(EINVAL, "local port range \"" + std::string(text) + "\": not two port numbers");
  if (gap == std::string_view::npos) return malformed;
  const auto first = parse_uint(text.substr(0, gap));
  const auto last = parse_uint(trim(text.substr(gap)));
  if (!first || !last || *first > 65535 || *last > 65535) return malformed;
  return PortRange::make(static_cast<unsigned>(*first), static_cast<unsigned>(*last));
}

std::string format_local_port_range(const PortRange& range) {
  return std::to_string(range.first) + " " + std::to_string(range.last);
}

std::vector<PortBlock> aligned_blocks(const PortRange& range) {
  std::vector<PortBlock> blocks;
  // 32-bit so that the block past 65535 does not wrap.
  uint32_t start = range.first;
  const uint32_t end = uint32_t{range.last} + 1;
  while (start < end) {
    // The largest block that starts aligned at `start` and does not run past the range.
    uint32_t size = start == 0 ? 0x10000 : (start & -start);
    while (start + size > end) size /= 2;
    blocks.push_back(PortBlock{static_cast<uint16_t>(start), static_cast<uint16_t>(~(size - 1))});
    start += size;
  }
  return blocks;
}

std::vector<PortRange> join_blocks(std::vector<PortBlock> blocks) {
  std::sort(blocks.begin(), blocks.end(), [](const PortBlock& a, const PortBlock& b) { return a.first() < b.first(); });
  std::vector<PortRange> ranges;
  for (const PortBlock& b : blocks) {
    if (!ranges.empty() && uint32_t{ranges.back().last} + 1 >= b.first()) {
      ranges.back().last = std::max(ranges.back().last, b.last());
    } else {
      ranges.push_back(PortRange{b.first(), b.last()});
    }
  }
  return ranges;
}

Status check_disjoint(const std::vector<PortRange>& ranges) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    for (size_t j = i + 1; j < ranges.size(); ++j) {
      if (ranges[i].overlaps(ranges[j])) {
        return Error(EINVAL, ranges[i].to_string() + " overlaps " + ranges[j].to_string());
      }
    }
  }
  return ok();
}

}  // namespace berth::networking::shared_ip
