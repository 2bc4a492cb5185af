#include "networking/shared_ip/port_blocks.h"

#include <algorithm>
#include <cerrno>

#include "common/strings.h"

namespace berth::networking::shared_ip {

std::vector<PortBlock> aligned_blocks(const PortRange& range) {
  std::vector<PortBlock> blocks;
  // 32-bit so that the block past 65535 does not wrap.
  uint32_t start = range.begin;
  const uint32_t end = uint32_t{range.end} + 1;
  while (start < end) {
    // The largest block that starts aligned at `start` and does not run past the range.
    uint32_t size = start == 0 ? 0x10000 : (start & (~start + 1));
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
    if (!ranges.empty() && uint32_t{ranges.back().end} + 1 >= b.first()) {
      ranges.back().end = std::max(ranges.back().end, b.last());
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
        return Error(EINVAL, format_port_range(ranges[i]) + " overlaps " + format_port_range(ranges[j]));
      }
    }
  }
  return ok();
}

Result<PortRange> parse_local_port_range(std::string_view sysctl_value) {
  const std::string_view text = trim(sysctl_value);
  const size_t gap = text.find_first_of(" \t");
  const Error malformed(EINVAL, "local port range \"" + std::string(text) + "\": not two port numbers");
  if (gap == std::string_view::npos) return malformed;
  const auto first = parse_uint(text.substr(0, gap));
  const auto last = parse_uint(trim(text.substr(gap)));
  if (!first || !last || *first > UINT16_MAX || *last > UINT16_MAX) return malformed;
  const PortRange range{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
  BERTH_TRY(validate_port_ranges({range}).context("local port range"));
  return range;
}

std::string format_local_port_range(const PortRange& range) {
  return std::to_string(range.begin) + " " + std::to_string(range.end);
}

}  // namespace berth::networking::shared_ip
