// Port allotments as written ("31000-31009,8080"): what parses, what is refused and with which
// message, how ranges print, and which ports they contain or share.
#include "networking/addr/port_range.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::networking {
namespace {

std::vector<std::pair<int, int>> pairs(const std::vector<PortRange>& ranges) {
  std::vector<std::pair<int, int>> out;
  out.reserve(ranges.size());
  for (const auto& r : ranges) out.emplace_back(r.begin, r.end);
  return out;
}

std::string parse_error(const std::string& text) {
  auto r = parse_port_ranges(text);
  return r ? "<parsed>" : r.error().message();
}

TEST(PortRanges, ParsesRangesAndSinglePorts) {
  auto r = parse_port_ranges("31000-31009,8080");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(pairs(*r), (std::vector<std::pair<int, int>>{{31000, 31009}, {8080, 8080}}));
}

TEST(PortRanges, SpacesAroundItemsAreAllowed) {
  auto r = parse_port_ranges(" 1 - 2 , 65535 ");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(pairs(*r), (std::vector<std::pair<int, int>>{{1, 2}, {65535, 65535}}));
}

TEST(PortRanges, EmptyTextIsNoPorts) {
  auto r = parse_port_ranges("  ");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->empty());
}

TEST(PortRanges, NotAPortIsRefusedNamingTheItem) {
  EXPECT_EQ(parse_error("80,http"),
            "port ranges \"80,http\": \"http\" is not a port (0-65535) or a range of ports like 9000-9009");
  EXPECT_NE(parse_error("65536").find("\"65536\" is not a port"), std::string::npos);
  EXPECT_NE(parse_error("1-2-3").find("\"1-2-3\" is not a port"), std::string::npos);
  EXPECT_NE(parse_error("80,,90").find("\"\" is not a port"), std::string::npos);
  EXPECT_NE(parse_error("-5").find("\"-5\" is not a port"), std::string::npos);
}

TEST(PortRanges, ReversedRangeIsRefused) {
  EXPECT_EQ(parse_error("9010-9000"), "port ranges \"9010-9000\": port range 9010-9000: begin is after end");
  auto s = validate_port_ranges({PortRange{9010, 9000}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "port range 9010-9000: begin is after end");
  EXPECT_EQ(s.error().code(), EINVAL);
}

TEST(PortRanges, PortZeroIsRefused) {
  EXPECT_NE(parse_error("0-10").find("port range 0-10: port 0 cannot be allotted"), std::string::npos);
  EXPECT_FALSE(validate_port_ranges({PortRange{1, 1}, PortRange{0, 0}}).ok());
  EXPECT_TRUE(validate_port_ranges({PortRange{1, 1}, PortRange{65535, 65535}}).ok());
}

TEST(PortRanges, ContainmentIncludesBothEnds) {
  const std::vector<PortRange> allotted{{9000, 9009}, {8080, 8080}};
  EXPECT_TRUE(ranges_contain(allotted, 9000));
  EXPECT_TRUE(ranges_contain(allotted, 9009));
  EXPECT_TRUE(ranges_contain(allotted, 8080));
  EXPECT_FALSE(ranges_contain(allotted, 8999));
  EXPECT_FALSE(ranges_contain(allotted, 9010));
  EXPECT_FALSE(ranges_contain(allotted, 8081));
  EXPECT_FALSE(ranges_contain({}, 8080));
}

TEST(PortRanges, FormatsRangesAndSinglePortsAndRoundTrips) {
  const std::vector<PortRange> ranges{{31000, 31009}, {8080, 8080}};
  EXPECT_EQ(format_port_ranges(ranges), "31000-31009,8080");
  EXPECT_EQ(format_port_ranges({}), "none");
  auto again = parse_port_ranges(format_port_ranges(ranges));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(pairs(*again), pairs(ranges));
}

TEST(PortRanges, OverlapIsFoundOnASharedPortOnly) {
  auto overlap = find_overlap({{9005, 9010}}, {{8080, 8080}, {9000, 9005}});
  ASSERT_TRUE(overlap.has_value());
  EXPECT_EQ(format_port_range(overlap->first), "9005-9010");
  EXPECT_EQ(format_port_range(overlap->second), "9000-9005");
  EXPECT_FALSE(find_overlap({{9000, 9009}}, {{9010, 9019}, {8999, 8999}}).has_value());
  EXPECT_FALSE(find_overlap({}, {{1, 65535}}).has_value());
}

}  // namespace
}  // namespace berth::networking
