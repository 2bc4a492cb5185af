#include "common/time.h"

#include <gtest/gtest.h>

#include <chrono>

namespace berth {
namespace {

using namespace std::chrono_literals;

TEST(GoDuration, RuncIntervalsParse) {
  EXPECT_EQ(parse_go_duration("5s"), 5s);
  EXPECT_EQ(parse_go_duration("500ms"), 500ms);
  EXPECT_EQ(parse_go_duration("100ms"), 100ms);
  EXPECT_EQ(parse_go_duration("1m30s"), 90s);
  EXPECT_EQ(parse_go_duration("1.5h"), 90min);
  EXPECT_EQ(parse_go_duration("2h45m0.5s"), 2h + 45min + 500ms);
  EXPECT_EQ(parse_go_duration(".5s"), 500ms);
  EXPECT_EQ(parse_go_duration("10us"), 10us);
  EXPECT_EQ(parse_go_duration("10\xC2\xB5s"), 10us);
  EXPECT_EQ(parse_go_duration("7ns"), 7ns);
  EXPECT_EQ(parse_go_duration("0"), 0ns);
  EXPECT_EQ(parse_go_duration("-1s"), -1s);
}

TEST(GoDuration, AnythingElseIsRefused) {
  for (const char* bad : {"", "5", "s", "5x", "5 s", "1.s.", "..5s", "1d", "-", "9999999999h", "5s ", "0.0"}) {
    EXPECT_FALSE(parse_go_duration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace berth
