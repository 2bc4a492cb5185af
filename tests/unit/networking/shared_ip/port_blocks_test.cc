// Port ranges as the shared-IP mode's u32 filters match them: the cover by aligned
// value/mask blocks (exact, fewest, and read back to the same range), overlaps, and the
// kernel's local port range text.
#include "networking/shared_ip/port_blocks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::networking::shared_ip {
namespace {

PortRange range(uint16_t begin, uint16_t end) { return PortRange{begin, end}; }

// Every port of 1..65535 that `blocks` match, checked one by one against `r`.
void expect_exact_cover(const PortRange& r, const std::vector<PortBlock>& blocks) {
  for (uint32_t port = 1; port <= 65535; ++port) {
    int matches = 0;
    for (const PortBlock& b : blocks) matches += (port & b.mask) == b.value ? 1 : 0;
    ASSERT_EQ(matches, r.contains(static_cast<uint16_t>(port)) ? 1 : 0)
        << "port " << port << " of " << format_port_range(r);
  }
}

TEST(PortBlocks, ReadsAndWritesTheLocalPortRangeSysctl) {
  auto r = parse_local_port_range("32768\t60999\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, (PortRange{32768, 60999}));
  EXPECT_EQ(format_local_port_range(*r), "32768 60999");
  EXPECT_FALSE(parse_local_port_range("32768").ok());
  auto reversed = parse_local_port_range("60999 32768");
  ASSERT_FALSE(reversed.ok());
  EXPECT_EQ(reversed.error().message(), "local port range: port range 60999-32768: begin is after end");
}

TEST(PortBlocks, AnAlignedBlockIsOneValueMaskPair) {
  EXPECT_EQ(aligned_blocks(range(31744, 32767)), (std::vector<PortBlock>{{31744, 0xfc00}}));
  EXPECT_EQ(aligned_blocks(range(8080, 8080)), (std::vector<PortBlock>{{8080, 0xffff}}));
  EXPECT_EQ(aligned_blocks(range(32768, 65535)), (std::vector<PortBlock>{{32768, 0x8000}}));
}

TEST(PortBlocks, AnUnalignedRangeSplitsIntoTheFewestAlignedBlocks) {
  // 31000 = 0x7918: 8 ports to 31007, then 32 to 31039, 32 to 31071, 16, 8, 4 to 31099.
  const std::vector<PortBlock> expected{{31000, 0xfff8}, {31008, 0xffe0}, {31040, 0xffe0},
                                        {31072, 0xfff0}, {31088, 0xfff8}, {31096, 0xfffc}};
  EXPECT_EQ(aligned_blocks(range(31000, 31099)), expected);
}

TEST(PortBlocks, BlocksCoverExactlyTheRangeAndJoinBackToIt) {
  for (const PortRange& r : {range(31000, 31099), range(1, 65535), range(61000, 61999), range(1, 1),
                             range(65535, 65535), range(1023, 1025), range(12345, 54321)}) {
    const auto blocks = aligned_blocks(r);
    expect_exact_cover(r, blocks);
    EXPECT_LE(blocks.size(), 30U) << format_port_range(r);
    EXPECT_EQ(join_blocks(blocks), (std::vector<PortRange>{r})) << format_port_range(r);
  }
}

TEST(PortBlocks, JoiningKeepsSeparateRangesApartAndMergesDuplicates) {
  auto blocks = aligned_blocks(range(2000, 2099));
  const auto more = aligned_blocks(range(3000, 3010));
  blocks.insert(blocks.begin(), more.begin(), more.end());
  blocks.push_back(blocks.front());  // the same block for TCP and for UDP
  EXPECT_EQ(join_blocks(blocks), (std::vector<PortRange>{range(2000, 2099), range(3000, 3010)}));
}

TEST(PortBlocks, OverlapsAreNamed) {
  EXPECT_TRUE(check_disjoint({range(1, 10), range(11, 20)}).ok());
  auto clash = check_disjoint({range(1, 10), range(20, 30), range(25, 40)});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message(), "20-30 overlaps 25-40");
}

}  // namespace
}  // namespace berth::networking::shared_ip
