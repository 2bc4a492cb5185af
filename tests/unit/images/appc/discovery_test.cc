#include "images/appc/discovery.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::images::appc {
namespace {

TEST(Discovery, SimpleTemplateIsFilledFromNameAndLabels) {
  auto url = fill_template("https://{name}-{version}-{os}-{arch}.{ext}", "example.com/app",
                           {{"version", "1.2.0"}, {"os", "linux"}, {"arch", "amd64"}}, "aci");
  ASSERT_TRUE(url) << url.error().message();
  EXPECT_EQ(*url, "https://example.com/app-1.2.0-linux-amd64.aci");
}

TEST(Discovery, APlaceholderWithoutAValueIsAnError) {
  auto url = fill_template("https://{name}-{version}.{ext}", "example.com/app", {}, "aci");
  ASSERT_FALSE(url);
  EXPECT_NE(url.error().message().find("{version}"), std::string::npos) << url.error().message();
}

TEST(Discovery, MetaTagsWithAMatchingPrefixGiveTemplatesLongestPrefixFirst) {
  const std::string html = R"(<html><head>
    <meta name="ac-discovery" content="example.com https://cdn.example.com/{name}-{version}.{ext}">
    <meta name="ac-discovery-pubkeys" content="example.com https://example.com/pubkeys.gpg">
    <meta content="example.com/app  https://app.example.com/{os}/{arch}/{name}.{ext}" name='ac-discovery'>
    <meta name="ac-discovery" content="other.org https://other.org/{name}.{ext}">
  </head></html>)";
  auto templates = meta_discovery_templates(html, "example.com/app");
  ASSERT_EQ(templates.size(), 2U);
  EXPECT_EQ(templates[0], "https://app.example.com/{os}/{arch}/{name}.{ext}");
  EXPECT_EQ(templates[1], "https://cdn.example.com/{name}-{version}.{ext}");
}

TEST(Discovery, HostPlatformFillsOnlyWhatTheCallerLeftOut) {
  Labels l = with_host_platform({{"os", "freebsd"}});
  EXPECT_EQ(l.at("os"), "freebsd");
  EXPECT_EQ(l.at("arch"), host_arch());
  EXPECT_FALSE(host_arch().empty());
}

}  // namespace
}  // namespace berth::images::appc
