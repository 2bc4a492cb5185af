// IP addresses, prefixes and subnets as text: what parses, how it is written back, the errors
// a user sees for bad input (they quote the input and say what was wrong), and the offset
// arithmetic IPAM allocates with.
#include "networking/addr/ip_address.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::networking {
namespace {

std::string parse_error(std::string_view text) {
  auto a = IpAddress::parse(text);
  return a ? "parsed as " + a->to_string() : a.error().message();
}

std::string prefix_error(std::string_view text) {
  auto p = IpPrefix::parse(text);
  return p ? "parsed as " + p->to_string() : p.error().message();
}

TEST(IpAddress, Ipv4IsParsedAndWrittenBack) {
  auto a = IpAddress::parse("10.88.0.1");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->size(), 4U);
  EXPECT_EQ(a->to_string(), "10.88.0.1");
  EXPECT_EQ(a->data()[0], 10);
  EXPECT_EQ(a->data()[3], 1);
}

TEST(IpAddress, Ipv6IsWrittenInItsShortestForm) {
  auto a = IpAddress::parse("FD00:0000:0:0:0:0:0:0001");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_TRUE(a->is_v6());
  EXPECT_EQ(a->size(), 16U);
  EXPECT_EQ(a->to_string(), "fd00::1");
  EXPECT_EQ(IpAddress::parse("::")->to_string(), "::");
}

TEST(IpAddress, LoopbackIs127Slash8AndColonColon1Only) {
  for (const char* text : {"127.0.0.1", "127.3.4.5", "::1"}) {
    EXPECT_TRUE(IpAddress::parse(text)->is_loopback()) << text;
  }
  for (const char* text : {"10.0.0.1", "128.0.0.1", "::", "::2", "fe80::1", "::ffff:127.0.0.1", "1::1"}) {
    EXPECT_FALSE(IpAddress::parse(text)->is_loopback()) << text;
  }
}

TEST(IpAddress, BadIpv4IsRefusedQuotingTheInput) {
  EXPECT_EQ(parse_error("10.0.0.256"),
            "\"10.0.0.256\": not an IPv4 address (four decimal numbers 0-255, no leading zeros)");
  for (const char* bad : {"10.0.0", "1.2.3.4.5", "010.0.0.1", " 10.0.0.1", "10.0.0.1 ", "example.com", "1e3"}) {
    auto a = IpAddress::parse(bad);
    EXPECT_FALSE(a.ok()) << bad << " parsed as " << a->to_string();
    if (!a) {
      EXPECT_EQ(a.error().code(), EINVAL);
    }
  }
}

TEST(IpAddress, BadIpv6IsRefusedQuotingTheInput) {
  EXPECT_EQ(parse_error("fd00:::1"), "\"fd00:::1\": not an IPv6 address");
  EXPECT_EQ(parse_error("1:2:3:4:5:6:7:8:9"), "\"1:2:3:4:5:6:7:8:9\": not an IPv6 address");
  EXPECT_EQ(parse_error("fd00::g"), "\"fd00::g\": not an IPv6 address");
}

TEST(IpAddress, ZoneIndexAndEmptyTextAreRefused) {
  EXPECT_EQ(parse_error("fe80::1%eth0"), "\"fe80::1%eth0\": zone index (\"%...\") is not supported");
  EXPECT_EQ(parse_error(""), "\"\": empty IP address");
}

TEST(IpAddress, Ipv4SortsBeforeIpv6AndByValue) {
  EXPECT_LT(*IpAddress::parse("10.0.0.2"), *IpAddress::parse("10.0.0.10"));
  EXPECT_LT(*IpAddress::parse("255.255.255.255"), *IpAddress::parse("::"));
  EXPECT_EQ(*IpAddress::parse("fd00::1"), *IpAddress::parse("fd00:0::1"));
}

TEST(IpAddress, UnspecifiedIsTheFamilysZeroAddress) {
  EXPECT_EQ(IpAddress::unspecified(Family::kIpv4).to_string(), "0.0.0.0");
  EXPECT_EQ(IpAddress::unspecified(Family::kIpv6).to_string(), "::");
}

TEST(IpAddress, FromBytesChecksTheLength) {
  const uint8_t bytes[] = {192, 168, 1, 2};
  auto a = IpAddress::from_bytes(Family::kIpv4, bytes, sizeof bytes);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->to_string(), "192.168.1.2");
  auto bad = IpAddress::from_bytes(Family::kIpv6, bytes, sizeof bytes);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "IPv6 address of 4 bytes (want 16)");
}

TEST(IpPrefix, InterfaceAddressKeepsItsHostBits) {
  auto p = IpPrefix::parse("10.88.0.7/16");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->address().to_string(), "10.88.0.7");
  EXPECT_EQ(p->length(), 16U);
  EXPECT_EQ(p->to_string(), "10.88.0.7/16");
  EXPECT_EQ(p->network().to_string(), "10.88.0.0/16");
}

TEST(IpPrefix, NetworkClearsBitsInsideAByte) {
  EXPECT_EQ(IpPrefix::parse("10.0.0.255/25")->network().to_string(), "10.0.0.128/25");
  EXPECT_EQ(IpPrefix::parse("10.0.0.255/0")->network().to_string(), "0.0.0.0/0");
  EXPECT_EQ(IpPrefix::parse("10.0.0.255/32")->network().to_string(), "10.0.0.255/32");
  EXPECT_EQ(IpPrefix::parse("fd00:1:2:3:4::1/64")->network().to_string(), "fd00:1:2:3::/64");
  EXPECT_EQ(IpPrefix::parse("fd00::ffff/121")->network().to_string(), "fd00::ff80/121");
}

TEST(IpPrefix, ContainsAddressesOfItsNetworkOnly) {
  auto p = *IpPrefix::parse("10.88.0.1/16");
  EXPECT_TRUE(p.contains(*IpAddress::parse("10.88.255.254")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("10.89.0.1")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("::ffff:10.88.0.1")));
  EXPECT_TRUE(IpPrefix::parse("::/0")->contains(*IpAddress::parse("fd00::1")));
}

TEST(IpPrefix, MissingOrBadLengthIsRefusedQuotingTheInput) {
  EXPECT_EQ(prefix_error("10.0.0.1"), "\"10.0.0.1\": missing prefix length (\"/N\")");
  EXPECT_EQ(prefix_error("10.0.0.1/33"), "\"10.0.0.1/33\": prefix length 33 is out of range for IPv4 (0-32)");
  EXPECT_EQ(prefix_error("fd00::/129"), "\"fd00::/129\": prefix length 129 is out of range for IPv6 (0-128)");
  EXPECT_EQ(prefix_error("10.0.0.1/"), "\"10.0.0.1/\": prefix length \"\" is not a number");
  EXPECT_EQ(prefix_error("10.0.0.1/-1"), "\"10.0.0.1/-1\": prefix length \"-1\" is not a number");
  EXPECT_EQ(prefix_error("10.0.0.1/ 8"), "\"10.0.0.1/ 8\": prefix length \" 8\" is not a number");
  EXPECT_EQ(prefix_error("10.0.0.1/99999999999999999999"),
            "\"10.0.0.1/99999999999999999999\": prefix length \"99999999999999999999\" is not a number");
  EXPECT_EQ(prefix_error("10.0.0.300/8"),
            "\"10.0.0.300\": not an IPv4 address (four decimal numbers 0-255, no leading zeros)");
}

TEST(IpPrefix, MakeRefusesALengthWiderThanTheFamily) {
  auto p = IpPrefix::make(*IpAddress::parse("10.0.0.1"), 40);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "prefix length 40 is out of range for IPv4 (0-32)");
  EXPECT_TRUE(IpPrefix::make(*IpAddress::parse("fd00::1"), 128).ok());
}

TEST(IpAddress, OffsetsCarryAcrossBytes) {
  auto a = IpAddress::parse("10.88.0.255").value();
  EXPECT_EQ(a.plus(1).to_string(), "10.88.1.0");
  EXPECT_EQ(a.plus(1).minus(IpAddress::parse("10.88.0.0").value()), 256U);
  auto b = IpAddress::parse("fd00::ffff").value();
  EXPECT_EQ(b.plus(1).to_string(), "fd00::1:0");
}

TEST(IpAddress, OffsetsWrapWithinTheFamily) {
  EXPECT_EQ(IpAddress::parse("255.255.255.255")->plus(1).to_string(), "0.0.0.0");
  EXPECT_EQ(IpAddress::parse("0.0.0.0")->minus(*IpAddress::parse("0.0.0.1")), 0xffffffffU);
}

TEST(IpPrefix, MaskAndLastOffsetFollowTheLength) {
  const auto mask = IpPrefix::parse("10.0.0.0/20")->mask();
  EXPECT_EQ(mask[1], 0xff);
  EXPECT_EQ(mask[2], 0xf0);
  EXPECT_EQ(mask[3], 0x00);
  EXPECT_EQ(IpPrefix::parse("10.0.0.0/20")->last_offset(), 4095U);
  EXPECT_EQ(IpPrefix::parse("::/0")->last_offset(), ~HostOffset{0});
}

TEST(Subnet, ParsesAndContains) {
  auto s = Subnet::parse("10.88.0.0/16").value();
  EXPECT_EQ(s.to_string(), "10.88.0.0/16");
  EXPECT_EQ(s.network().to_string(), "10.88.0.0");
  EXPECT_EQ(s.prefix_length(), 16U);
  EXPECT_TRUE(s.contains(IpAddress::parse("10.88.255.254").value()));
  EXPECT_FALSE(s.contains(IpAddress::parse("10.89.0.1").value()));
  EXPECT_FALSE(s.contains(IpAddress::parse("::1").value()));
  EXPECT_EQ(s.last_offset(), 65535U);
  auto v6 = Subnet::parse("fd00:be7::/64").value();
  EXPECT_TRUE(v6.contains(IpAddress::parse("fd00:be7::ffff:1").value()));
  EXPECT_FALSE(v6.contains(IpAddress::parse("fd00:be8::1").value()));
}

TEST(Subnet, BadSubnetTextErrorsNameTheSubnetAndSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c :
       {Case{"10.88.0.0", "missing prefix length"}, Case{"10.88.0.0/33", "out of range for IPv4 (0-32)"},
        Case{"10.88.0.0/x", "not a number"}, Case{"fd00::/129", "out of range for IPv6 (0-128)"},
        Case{"10.88.0.1/16", "did you mean 10.88.0.0/16"}, Case{"10.88.0/16", "not an IPv4 address"},
        Case{"fd00:be7::1/64", "did you mean fd00:be7::/64"}}) {
    auto s = Subnet::parse(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.error().message().find(c.says), std::string::npos) << s.error().message();
    EXPECT_NE(s.error().message().find(std::string("subnet \"") + c.text + "\""), std::string::npos)
        << "names the subnet: " << s.error().message();
  }
  EXPECT_EQ(Subnet::parse("10.88.0.1/16").error().message(),
            "subnet \"10.88.0.1/16\": host bits are set (did you mean 10.88.0.0/16?)");
}

}  // namespace
}  // namespace berth::networking
