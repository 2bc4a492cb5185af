#include "images/oci/platform.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::images {
namespace {

Platform p(std::string os, std::string arch, std::string variant = {}) {
  return Platform{.os = std::move(os), .architecture = std::move(arch), .variant = std::move(variant)};
}

Descriptor manifest_for(const Platform& platform, char fill) {
  return Descriptor{.media_type = std::string(media_type::kOciManifest),
                    .digest = *Digest::parse("sha256:" + std::string(64, fill)),
                    .size = 1,
                    .platform = platform};
}

Index multi_arch_index() {
  Index index{.media_type = std::string(media_type::kOciIndex)};
  index.manifests = {manifest_for(p("linux", "arm", "v6"), 'a'), manifest_for(p("linux", "arm64", "v8"), 'b'),
                     manifest_for(p("linux", "amd64"), 'c'),     manifest_for(p("windows", "amd64"), 'd'),
                     manifest_for(p("linux", "arm", "v7"), 'e'), manifest_for(p("linux", "386"), 'f')};
  return index;
}

std::string selected(const Index& index, const Platform& want) {
  auto d = select_manifest(index, want);
  if (!d) return "error: " + d.error().message();
  return d->platform->str();
}

TEST(Platform, NormalisesAliasesLikeContainerd) {
  EXPECT_EQ(normalize_platform(p("Linux", "x86_64")).str(), "linux/amd64");
  EXPECT_EQ(normalize_platform(p("linux", "aarch64")).str(), "linux/arm64");
  EXPECT_EQ(normalize_platform(p("linux", "arm64", "v8")).str(), "linux/arm64");
  EXPECT_EQ(normalize_platform(p("linux", "arm64", "8")).str(), "linux/arm64");
  EXPECT_EQ(normalize_platform(p("linux", "arm")).str(), "linux/arm/v7");
  EXPECT_EQ(normalize_platform(p("linux", "arm", "6")).str(), "linux/arm/v6");
  EXPECT_EQ(normalize_platform(p("linux", "armhf")).str(), "linux/arm/v7");
  EXPECT_EQ(normalize_platform(p("linux", "armel")).str(), "linux/arm/v6");
  EXPECT_EQ(normalize_platform(p("linux", "i386")).str(), "linux/386");
  EXPECT_EQ(normalize_platform(p("macos", "arm64")).str(), "darwin/arm64");
}

TEST(Platform, ParsesSpecs) {
  EXPECT_EQ(parse_platform_spec("linux/arm/v7")->str(), "linux/arm/v7");
  EXPECT_EQ(parse_platform_spec("arm64")->str(), "linux/arm64");
  EXPECT_EQ(parse_platform_spec("linux/amd64")->str(), "linux/amd64");
  EXPECT_FALSE(parse_platform_spec("").ok());
  EXPECT_FALSE(parse_platform_spec("linux/").ok());
  auto bad = parse_platform_spec("a/b/c/d");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid platform \"a/b/c/d\": expected os/architecture[/variant]");
}

TEST(Platform, HostPlatformIsNormalisedLinux) {
  Platform host = host_platform();
  EXPECT_EQ(host.os, "linux");
  EXPECT_EQ(normalize_platform(host), host);
#if defined(__x86_64__)
  EXPECT_EQ(host.str(), "linux/amd64");
#endif
}

TEST(Platform, SelectsTheExactPlatformFirst) {
  Index index = multi_arch_index();
  EXPECT_EQ(selected(index, p("linux", "amd64")), "linux/amd64");
  EXPECT_EQ(selected(index, p("linux", "x86_64")), "linux/amd64");
  EXPECT_EQ(selected(index, p("linux", "arm64")), "linux/arm64/v8");
  EXPECT_EQ(selected(index, p("linux", "arm", "v7")), "linux/arm/v7");
  EXPECT_EQ(selected(index, p("linux", "arm")), "linux/arm/v7");
  EXPECT_EQ(selected(index, p("linux", "386")), "linux/386");
  EXPECT_EQ(selected(index, p("windows", "amd64")), "windows/amd64");
}

TEST(Platform, ArmFallsBackToOlderVariantsOnly) {
  Index index{.media_type = std::string(media_type::kOciIndex)};
  index.manifests = {manifest_for(p("linux", "arm", "v5"), 'a'), manifest_for(p("linux", "arm", "v6"), 'b'),
                     manifest_for(p("linux", "arm", "v8"), 'c')};
  EXPECT_EQ(selected(index, p("linux", "arm", "v7")), "linux/arm/v6");
  EXPECT_EQ(selected(index, p("linux", "arm", "v6")), "linux/arm/v6");
  EXPECT_EQ(selected(index, p("linux", "arm", "v5")), "linux/arm/v5");
  // arm64 runs 32-bit arm, newest first.
  EXPECT_EQ(selected(index, p("linux", "arm64")), "linux/arm/v8");
  Index v7_only{.media_type = std::string(media_type::kOciIndex)};
  v7_only.manifests = {manifest_for(p("linux", "arm", "v7"), 'a')};
  EXPECT_NE(selected(v7_only, p("linux", "arm", "v6")).find("error: no manifest for linux/arm/v6"), std::string::npos);
}

TEST(Platform, AmdFallsBackTo386AndNamesWhatTheIndexHas) {
  Index index{.media_type = std::string(media_type::kOciIndex)};
  index.manifests = {manifest_for(p("linux", "386"), 'a')};
  EXPECT_EQ(selected(index, p("linux", "amd64")), "linux/386");

  Index arm_only{.media_type = std::string(media_type::kOciIndex)};
  arm_only.manifests = {manifest_for(p("linux", "arm64"), 'a'), manifest_for(p("linux", "s390x"), 'b')};
  EXPECT_EQ(selected(arm_only, p("linux", "amd64")),
            "error: no manifest for linux/amd64 in the index (it has linux/arm64, linux/s390x)");
}

TEST(Platform, SkipsEntriesWithoutPlatformOrNotManifests) {
  Index index{.media_type = std::string(media_type::kOciIndex)};
  Descriptor attestation = manifest_for(p("unknown", "unknown"), 'a');
  Descriptor no_platform = manifest_for(p("linux", "amd64"), 'b');
  no_platform.platform.reset();
  Descriptor nested = manifest_for(p("linux", "amd64"), 'c');
  nested.media_type = media_type::kOciIndex;
  Descriptor good = manifest_for(p("linux", "amd64"), 'd');
  index.manifests = {attestation, no_platform, nested, good};
  auto d = select_manifest(index, p("linux", "amd64"));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->digest.hex(), std::string(64, 'd'));
}

}  // namespace
}  // namespace berth::images
