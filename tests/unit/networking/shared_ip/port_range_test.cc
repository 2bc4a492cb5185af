// Port ranges of the shared-IP mode: parsing, the sysctl form, and the cover by aligned
// value/mask blocks that u32 filters match (exact, fewest, and read back to the same range).
#include "networking/shared_ip/port_range.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::networking::shared_ip {
namespace {

PortRange range(unsigned first, unsigned last) {
  auto r = PortRange::make(first, last);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return *r;
}

// Every port of 1..65535 that `blocks` match, checked one by one against `r`.
void expect_exact_cover(const PortRange& r, const std::vector<PortBlock>& blocks) {
  for (uint32_t port = 1; port <= 65535; ++port) {
    int matches = 0;
    for (const PortBlock& b : blocks) matches += (port & b.mask) == b.value ? 1 : 0;
    const bool inside = port >= r.first && port <= r.last;
    ASSERT_EQ(matches, inside ? 1 : 0) << "port " << port << " of range " << r.to_string();
  }
}

TEST(PortRange, ParsesARangeAndASinglePort) {
  auto r = PortRange::parse("31000-31099");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, (PortRange{31000, 31099}));
  EXPECT_EQ(r->size(), 100U);
  EXPECT_EQ(r->to_string(), "31000-31099");
  auto one = PortRange::parse("8080");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, (PortRange{8080, 8080}));
}

TEST(PortRange, RefusesPortZeroReversedRangesAndJunk) {
  for (const char* bad : {"0-10", "100-99", "70000", "1-65536", "a-b", "", "-5", "5-", "1-2-3"}) {
    auto r = PortRange::parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  auto reversed = PortRange::parse("100-99");
  EXPECT_NE(reversed.error().message().find("100-99"), std::string::npos) << reversed.error().message();
}

TEST(PortRange, ReadsAndWritesTheLocalPortRangeSysctl) {
  auto r = parse_local_port_range("32768\t60999\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, (PortRange{32768, 60999}));
  EXPECT_EQ(format_local_port_range(*r), "32768 60999");
  EXPECT_FALSE(parse_local_port_range("32768").ok());
}

TEST(PortRange, AnAlignedBlockIsOneValueMaskPair) {
  EXPECT_EQ(aligned_blocks(range(31744, 32767)), (std::vector<PortBlock>{{31744, 0xfc00}}));
  EXPECT_EQ(aligned_blocks(range(8080, 8080)), (std::vector<PortBlock>{{8080, 0xffff}}));
  EXPECT_EQ(aligned_blocks(range(32768, 65535)), (std::vector<PortBlock>{{32768, 0x8000}}));
}

TEST(PortRange, AnUnalignedRangeSplitsIntoTheFewestAlignedBlocks) {
  // 31000 = 0x7918: 8 ports to 31007, then 32 to 31039, 32 to 31071, 16, 8, 4 to 31099.
  const std::vector<PortBlock> expected{{31000, 0xfff8}, {31008, 0xffe0}, {31040, 0xffe0},
                                        {31072, 0xfff0}, {31088, 0xfff8}, {31096, 0xfffc}};
  EXPECT_EQ(aligned_blocks(range(31000, 31099)), expected);
}

TEST(PortRange, BlocksCoverExactlyTheRangeAndJoinBackToIt) {
  for (const PortRange& r : {range(31000, 31099), range(1, 65535), range(61000, 61999), range(1, 1),
                             range(65535, 65535), range(1023, 1025), range(12345, 54321)}) {
    const auto blocks = aligned_blocks(r);
    expect_exact_cover(r, blocks);
    EXPECT_LE(blocks.size(), 30U) << r.to_string();
    EXPECT_EQ(join_blocks(blocks), (std::vector<PortRange>{r})) << r.to_string();
  }
}

TEST(PortRange, JoiningKeepsSeparateRangesApartAndMergesDuplicates) {
  auto blocks = aligned_blocks(range(2000, 2099));
  const auto more = aligned_blocks(range(3000, 3010));
  blocks.insert(blocks.begin(), more.begin(), more.end());
  blocks.push_back(blocks.front());  // the same block for TCP and for UDP
  EXPECT_EQ(join_blocks(blocks), (std::vector<PortRange>{range(2000, 2099), range(3000, 3010)}));
}

TEST(PortRange, OverlapsAreNamed) {
  EXPECT_TRUE(check_disjoint({range(1, 10), range(11, 20)}).ok());
  auto clash = check_disjoint({range(1, 10), range(20, 30), range(25, 40)});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message(), "20-30 overlaps 25-40");
}

}  // namespace
}  // namespace berth::networking::shared_ip
