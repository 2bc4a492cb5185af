#include "common/strings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth {
namespace {

using Parts = std::vector<std::string>;

TEST(Strings, SplitKeepsEmptyFields) {
  EXPECT_EQ(split("a,b,c", ','), (Parts{"a", "b", "c"}));
  EXPECT_EQ(split("a,,b,", ','), (Parts{"a", "", "b", ""}));
  EXPECT_EQ(split("", ','), (Parts{""}));
  EXPECT_EQ(split("no-separator", ','), (Parts{"no-separator"}));
}

TEST(Strings, JoinIsTheInverseOfSplit) {
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(join({"only"}, ","), "only");
  EXPECT_EQ(join(split("x:y::z", ':'), ":"), "x:y::z");
}

TEST(Strings, StartsWithComparesThePrefixOnly) {
  EXPECT_TRUE(starts_with("CAP_CHOWN", "CAP_"));
  EXPECT_TRUE(starts_with("abc", ""));
  EXPECT_FALSE(starts_with("CA", "CAP_"));
  EXPECT_FALSE(starts_with("cap_chown", "CAP_"));
}

TEST(Strings, TrimRemovesSurroundingWhitespace) {
  EXPECT_EQ(trim("  max 100000\n"), "max 100000");
  EXPECT_EQ(trim("\t\r\n"), "");
  EXPECT_EQ(trim("a b"), "a b");
  EXPECT_EQ(trim(""), "");
}

TEST(Strings, ParseUintAcceptsOnlyWholeDecimalNumbers) {
  EXPECT_EQ(parse_uint("0"), 0u);
  EXPECT_EQ(parse_uint("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_uint("18446744073709551616").has_value());
  EXPECT_FALSE(parse_uint("").has_value());
  EXPECT_FALSE(parse_uint("-1").has_value());
  EXPECT_FALSE(parse_uint("+1").has_value());
  EXPECT_FALSE(parse_uint(" 1").has_value());
  EXPECT_FALSE(parse_uint("1 ").has_value());
  EXPECT_FALSE(parse_uint("12k").has_value());
  EXPECT_FALSE(parse_uint("0x10").has_value());
}

TEST(Strings, ParseIntAcceptsNegativeNumbers) {
  EXPECT_EQ(parse_int("-1"), -1);
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_EQ(parse_int("-9223372036854775808"), INT64_MIN);
  EXPECT_FALSE(parse_int("9223372036854775808").has_value());
  EXPECT_FALSE(parse_int("max").has_value());
  EXPECT_FALSE(parse_int("").has_value());
  EXPECT_FALSE(parse_int("-").has_value());
}

TEST(Strings, ByteSizesReadLikeRuncsFlags) {
  EXPECT_EQ(parse_byte_size("4096"), 4096);
  EXPECT_EQ(parse_byte_size("512m"), 512LL << 20);
  EXPECT_EQ(parse_byte_size("64M"), 64LL << 20);
  EXPECT_EQ(parse_byte_size("1g"), 1LL << 30);
  EXPECT_EQ(parse_byte_size("1GiB"), 1LL << 30);
  EXPECT_EQ(parse_byte_size("2 kb"), 2048);
  EXPECT_EQ(parse_byte_size("1.5k"), 1536);
  EXPECT_EQ(parse_byte_size("0.25m"), 262144);
  EXPECT_EQ(parse_byte_size(".5k"), 512);
  EXPECT_EQ(parse_byte_size("100b"), 100);
  EXPECT_EQ(parse_byte_size("8191p"), 8191LL << 50);
  EXPECT_EQ(parse_byte_size("0"), 0);
}

TEST(Strings, ByteSizesRefuseOtherText) {
  for (const char* bad :
       {"", "12x", "m", "-1", "1gg", "1 g b", " 1g", "1.2.3m", ".", ".m", "8192p", "99999999999999999999"}) {
    EXPECT_FALSE(parse_byte_size(bad).has_value()) << bad;
  }
}

TEST(Strings, AsciiLowerChangesOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lower("WWW-Authenticate: Bearer"), "www-authenticate: bearer");
  EXPECT_EQ(ascii_lower("linux/ARM64/V8"), "linux/arm64/v8");
  EXPECT_EQ(ascii_lower("\xc3\x84"), "\xc3\x84") << "bytes above ASCII stay as they are";
}

TEST(Strings, HexEncodeWritesTwoLowercaseDigitsPerByte) {
  const std::vector<uint8_t> bytes{0x00, 0x0a, 0xb1, 0xff};
  EXPECT_EQ(hex_encode(bytes), "000ab1ff");
  EXPECT_EQ(hex_encode({}), "");
}

}  // namespace
}  // namespace berth
