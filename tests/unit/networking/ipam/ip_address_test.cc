#include "networking/ipam/ip_address.h"

#include <gtest/gtest.h>

namespace berth::ipam {
namespace {

TEST(IpAddressTest, TextRoundTripsForBothFamilies) {
  EXPECT_EQ(IpAddress::parse("10.88.0.2").value().to_string(), "10.88.0.2");
  EXPECT_EQ(IpAddress::parse("fd00:be7:0::5").value().to_string(), "fd00:be7::5");
  EXPECT_TRUE(IpAddress::parse("10.88.0.2").value().is_v4());
  EXPECT_FALSE(IpAddress::parse("::1").value().is_v4());
}

TEST(IpAddressTest, BadAddressTextIsRefusedNamingIt) {
  for (const char* bad : {"", "10.88.0", "10.88.0.256", "fd00::be7::1", "abc", "10.88.0.1 "}) {
    auto a = IpAddress::parse(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.error().message().find("not an IP address"), std::string::npos) << a.error().message();
  }
}

TEST(IpAddressTest, OffsetsCarryAcrossBytes) {
  auto a = IpAddress::parse("10.88.0.255").value();
  EXPECT_EQ(a.plus(1).to_string(), "10.88.1.0");
  EXPECT_EQ(a.plus(1).minus(IpAddress::parse("10.88.0.0").value()), 256U);
  auto b = IpAddress::parse("fd00::ffff").value();
  EXPECT_EQ(b.plus(1).to_string(), "fd00::1:0");
}

TEST(SubnetTest, ParsesAndContains) {
  auto s = Subnet::parse("10.88.0.0/16").value();
  EXPECT_EQ(s.to_string(), "10.88.0.0/16");
  EXPECT_TRUE(s.contains(IpAddress::parse("10.88.255.254").value()));
  EXPECT_FALSE(s.contains(IpAddress::parse("10.89.0.1").value()));
  EXPECT_FALSE(s.contains(IpAddress::parse("::1").value()));
  EXPECT_EQ(s.last_offset(), 65535U);
  auto v6 = Subnet::parse("fd00:be7::/64").value();
  EXPECT_TRUE(v6.contains(IpAddress::parse("fd00:be7::ffff:1").value()));
  EXPECT_FALSE(v6.contains(IpAddress::parse("fd00:be8::1").value()));
}

TEST(SubnetTest, BadSubnetTextErrorsSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {Case{"10.88.0.0", "no prefix length"}, Case{"10.88.0.0/33", "from 0 to 32"},
                        Case{"10.88.0.0/x", "not a number"}, Case{"fd00::/129", "from 0 to 128"},
                        Case{"10.88.0.1/16", "did you mean 10.88.0.0/16"}, Case{"10.88.0/16", "not an IP address"},
                        Case{"fd00:be7::1/64", "did you mean fd00:be7::/64"}}) {
    auto s = Subnet::parse(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.error().message().find(c.says), std::string::npos) << s.error().message();
    EXPECT_NE(s.error().message().find(c.text), std::string::npos) << "names the subnet: " << s.error().message();
  }
}

}  // namespace
}  // namespace berth::ipam
