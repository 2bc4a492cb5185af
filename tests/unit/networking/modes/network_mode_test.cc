#include "networking/modes/network_mode.h"

#include <gtest/gtest.h>

namespace berth::networking {
namespace {

TEST(NetworkModeParseTest, ParsesWhatTheUserWrites) {
  EXPECT_EQ(parse_network_mode("none").value(), (NetworkMode{NetworkModeKind::kNone, {}}));
  EXPECT_EQ(parse_network_mode("host").value(), (NetworkMode{NetworkModeKind::kHost, {}}));
  auto join = parse_network_mode("container:web-1");
  ASSERT_TRUE(join.ok()) << join.error().message();
  EXPECT_EQ(join->kind, NetworkModeKind::kJoin);
  EXPECT_EQ(join->target, "web-1");
  EXPECT_EQ(join->to_string(), "container:web-1");
}

TEST(NetworkModeParseTest, UnknownModesAndBadTargetsAreRefusedNamingThem) {
  auto bridge = parse_network_mode("bridge");
  ASSERT_FALSE(bridge.ok());
  EXPECT_EQ(bridge.error().message(), "network mode \"bridge\": not none, host or container:<id>");
  for (const char* text : {"container:", "container:../x", "container:a/b"}) {
    auto bad = parse_network_mode(text);
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.error().message().find(text), std::string::npos) << bad.error().message();
  }
}

}  // namespace
}  // namespace berth::networking
