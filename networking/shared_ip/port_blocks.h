// Port ranges of the shared-IP mode as u32 filters match them: a range covered by aligned
// power-of-two blocks (value/mask pairs) and joined back from them; the kernel's
// net.ipv4.ip_local_port_range text. Pure values: nothing here touches the kernel.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "networking/addr/port_range.h"

namespace berth::networking::shared_ip {

// The ports p with (p & mask) == value: an aligned block of 2^k ports.
struct PortBlock {
  uint16_t value = 0;
  uint16_t mask = 0;

  [[nodiscard]] uint16_t first() const { return value; }
  [[nodiscard]] uint16_t last() const { return static_cast<uint16_t>(value | static_cast<uint16_t>(~mask)); }
  friend bool operator==(const PortBlock&, const PortBlock&) = default;
};

// The fewest aligned blocks that cover exactly `range`, in ascending order (at most 30 for a
// 16-bit range: each end contributes at most one block per bit).
std::vector<PortBlock> aligned_blocks(const PortRange& range);

// The ranges that `blocks` cover together, sorted, adjacent and overlapping ones joined: what
// a set of installed filters hands out.
std::vector<PortRange> join_blocks(std::vector<PortBlock> blocks);

// The first two ranges of `ranges` that overlap, as an error ("31000-31099 overlaps
// 31050-31060"); ok when none do.
Status check_disjoint(const std::vector<PortRange>& ranges);

// net.ipv4.ip_local_port_range as the kernel shows it ("32768\t60999") and as it takes it
// ("32768 60999").
Result<PortRange> parse_local_port_range(std::string_view sysctl_value);
std::string format_local_port_range(const PortRange& range);

}  // namespace berth::networking::shared_ip
