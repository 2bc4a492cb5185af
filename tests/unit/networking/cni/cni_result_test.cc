// What CNI plugins print, read into berth's types: a 1.0 result, an error object, VERSION.
#include "networking/cni/cni_result.h"

#include <gtest/gtest.h>

namespace berth::cni {
namespace {

TEST(CniResult, BridgeResultIsRead) {
  constexpr const char* kResult = R"({"cniVersion": "1.0.0",
    "interfaces": [{"name": "berth0", "mac": "aa:bb:cc:dd:ee:01"},
                   {"name": "eth0", "mac": "aa:bb:cc:dd:ee:02", "sandbox": "/run/netns/c1"}],
    "ips": [{"interface": 1, "address": "10.88.0.5/16", "gateway": "10.88.0.1"}],
    "routes": [{"dst": "0.0.0.0/0"}], "dns": {"nameservers": ["10.88.0.1"]}})";
  auto r = parse_result(kResult);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->interfaces.size(), 2U);
  EXPECT_EQ(r->interfaces[1].sandbox, "/run/netns/c1");
  ASSERT_EQ(r->ips.size(), 1U);
  EXPECT_EQ(r->ips[0].address, "10.88.0.5/16");
  EXPECT_EQ(r->ips[0].interface, 1);
  EXPECT_EQ(r->routes[0].dst, "0.0.0.0/0");
  EXPECT_EQ(r->dns_nameservers, std::vector<std::string>{"10.88.0.1"});
  EXPECT_EQ(r->json, kResult);
}

TEST(CniResult, IpNamingAMissingInterfaceIsRefused) {
  auto r = parse_result(R"({"ips": [{"interface": 3, "address": "10.0.0.2/24"}]})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("ips[0].interface"), std::string::npos) << r.error().message();
}

TEST(CniResult, ErrorObjectAndVersionsAreRead) {
  auto e = parse_plugin_error(R"({"cniVersion": "1.0.0", "code": 11, "msg": "failed", "details": "no bridge"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 11);
  EXPECT_EQ(e->details, "no bridge");
  EXPECT_FALSE(parse_plugin_error(R"({"cniVersion": "1.0.0", "ips": []})"));
  EXPECT_FALSE(parse_plugin_error("plain text"));
  auto v = parse_supported_versions(R"({"cniVersion": "1.0.0", "supportedVersions": ["0.4.0", "1.0.0"]})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->back(), "1.0.0");
}

}  // namespace
}  // namespace berth::cni
