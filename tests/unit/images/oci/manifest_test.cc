#include "images/oci/manifest.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::images {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

std::string oci_manifest(const std::string& layer_type = std::string(media_type::kOciLayerGzip)) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         kA + R"(","size":7},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" +
         kB + R"(","size":10},{"mediaType":")" + layer_type + R"(","digest":")" + kC +
         R"(","size":20,"urls":["https://example.com/l"]}],
    "annotations":{"org.opencontainers.image.created":"1970-01-01T00:00:00Z"}})";
}

testing::AssertionResult fails_with(const Result<Manifest>& r, const std::string& text) {
  if (r.ok()) return testing::AssertionFailure() << "parsed, expected an error with " << text;
  if (r.error().message().find(text) == std::string::npos) {
    return testing::AssertionFailure() << "error \"" << r.error().message() << "\" lacks \"" << text << "\"";
  }
  return testing::AssertionSuccess();
}

TEST(Manifest, ParsesAnOciManifest) {
  auto m = parse_manifest(oci_manifest(), media_type::kOciManifest);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->media_type, media_type::kOciManifest);
  EXPECT_EQ(m->config.digest.str(), kA);
  EXPECT_EQ(m->config.size, 7U);
  ASSERT_EQ(m->layers.size(), 2U);
  EXPECT_EQ(m->layers[0].media_type, media_type::kOciLayer);
  EXPECT_EQ(m->layers[1].digest.str(), kC);
  EXPECT_EQ(m->layers[1].size, 20U);
  EXPECT_EQ(m->layers[1].urls, std::vector<std::string>{"https://example.com/l"});
  EXPECT_EQ(m->annotations.at("org.opencontainers.image.created"), "1970-01-01T00:00:00Z");
}

TEST(Manifest, ParsesADockerSchema2Manifest) {
  std::string json = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":")" +
                     kA + R"("},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":2479,"digest":")" +
                     kB + R"("}]})";
  auto m = parse_manifest(json);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->media_type, media_type::kDockerManifest);
  EXPECT_EQ(m->config.media_type, media_type::kDockerConfig);
  ASSERT_EQ(m->layers.size(), 1U);
  EXPECT_EQ(*layer_compression(m->layers[0].media_type), LayerCompression::kGzip);
}

TEST(Manifest, WithoutMediaTypeTakesTheDescriptorsOrOci) {
  std::string json = oci_manifest();
  json.erase(json.find(R"("mediaType":"application/vnd.oci.image.manifest.v1+json",)"),
             std::string(R"("mediaType":"application/vnd.oci.image.manifest.v1+json",)").size());
  auto m = parse_manifest(json);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->media_type, media_type::kOciManifest);
  auto d = parse_manifest(json, media_type::kDockerManifest);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->media_type, media_type::kDockerManifest);
}

TEST(Manifest, WrongMediaTypesAreRefusedWithTheirPath) {
  EXPECT_TRUE(fails_with(parse_manifest(oci_manifest("application/x-tar")),
                         "manifest: layers[1].mediaType: \"application/x-tar\" is not a layer media type"));
  std::string index_typed = oci_manifest();
  index_typed.replace(index_typed.find("image.manifest.v1"), 17, "image.index.v1");
  EXPECT_TRUE(fails_with(parse_manifest(index_typed),
                         "manifest: mediaType: \"application/vnd.oci.image.index.v1+json\" is not an image manifest"));
  EXPECT_TRUE(fails_with(parse_manifest(oci_manifest(), media_type::kDockerManifest),
                         "does not match the descriptor's \"application/vnd.docker.distribution.manifest.v2+json\""));
  std::string config_typed = oci_manifest();
  config_typed.replace(config_typed.find("image.config.v1+json"), 20, "custom+json");
  EXPECT_TRUE(fails_with(parse_manifest(config_typed), "manifest: config.mediaType: "));
}

TEST(Manifest, MissingAndMalformedFieldsNameTheirPath) {
  std::string no_digest = oci_manifest();
  no_digest.erase(no_digest.find(R"("digest":")" + kC + "\","), kC.size() + 12);
  EXPECT_TRUE(fails_with(parse_manifest(no_digest), "manifest: layers[1].digest: is required"));

  std::string bad_digest = oci_manifest();
  bad_digest.replace(bad_digest.find(kB), kB.size(), "sha256:xyz");
  EXPECT_TRUE(fails_with(parse_manifest(bad_digest), "manifest: layers[0].digest: invalid digest \"sha256:xyz\""));

  std::string negative = oci_manifest();
  negative.replace(negative.find("\"size\":7"), 8, "\"size\":-7");
  EXPECT_TRUE(fails_with(parse_manifest(negative), "manifest: config.size: must not be negative"));

  EXPECT_TRUE(fails_with(parse_manifest(R"({"schemaVersion":2,"layers":[]})"), "manifest: config: is required"));
  EXPECT_TRUE(fails_with(parse_manifest(R"({"schemaVersion":1})"), "manifest: schemaVersion: must be 2, got 1"));
  EXPECT_TRUE(fails_with(parse_manifest(R"({"config":{}})"), "manifest: schemaVersion: is required"));
  EXPECT_TRUE(fails_with(parse_manifest("[]"), "manifest: (root): must be an object"));
  EXPECT_TRUE(fails_with(parse_manifest("{"), "manifest: invalid JSON"));
}

std::string docker_list() {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests":[
      {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":")" +
         kA + R"(","platform":{"architecture":"arm","os":"linux","variant":"v6"}},
      {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":2,"digest":")" +
         kB + R"(","platform":{"architecture":"amd64","os":"linux","os.features":["sse4"]}}]})";
}

TEST(Index, ParsesADockerManifestList) {
  auto index = parse_index(docker_list());
  ASSERT_TRUE(index.ok()) << index.error().message();
  EXPECT_EQ(index->media_type, media_type::kDockerManifestList);
  ASSERT_EQ(index->manifests.size(), 2U);
  ASSERT_TRUE(index->manifests[0].platform.has_value());
  EXPECT_EQ(index->manifests[0].platform->str(), "linux/arm/v6");
  EXPECT_EQ(index->manifests[1].platform->os_features, std::vector<std::string>{"sse4"});
}

TEST(Index, ParsesAnOciIndexAndChecksItsPaths) {
  std::string json = R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "digest":")" + kA +
                     R"(","size":3,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]})";
  auto index = parse_index(json);
  ASSERT_TRUE(index.ok()) << index.error().message();
  EXPECT_EQ(index->media_type, media_type::kOciIndex);
  EXPECT_EQ(index->manifests[0].annotations.at("org.opencontainers.image.ref.name"), "latest");
  EXPECT_FALSE(index->manifests[0].platform.has_value());

  auto no_platform = parse_index(R"({"schemaVersion":2,"mediaType":")" + std::string(media_type::kDockerManifestList) +
                                 R"(","manifests":[{"mediaType":"x","digest":")" + kA + R"(","size":1}]})");
  ASSERT_FALSE(no_platform.ok());
  EXPECT_EQ(no_platform.error().message(), "index: manifests[0].platform: is required in a manifest list");

  auto no_arch = parse_index(R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":")" + kA +
                             R"(","size":1,"platform":{"os":"linux"}}]})");
  ASSERT_FALSE(no_arch.ok());
  EXPECT_EQ(no_arch.error().message(), "index: manifests[0].platform.architecture: is required");

  auto manifest_typed = parse_index(oci_manifest());
  ASSERT_FALSE(manifest_typed.ok());
  EXPECT_NE(manifest_typed.error().message().find("is not an image index"), std::string::npos);
}

TEST(Index, KindIsDetectedFromMediaTypeOrShape) {
  EXPECT_EQ(*detect_manifest_kind(docker_list()), ManifestKind::kIndex);
  EXPECT_EQ(*detect_manifest_kind(oci_manifest()), ManifestKind::kManifest);
  EXPECT_EQ(*detect_manifest_kind(R"({"schemaVersion":2,"manifests":[]})"), ManifestKind::kIndex);
  EXPECT_EQ(*detect_manifest_kind(R"({"schemaVersion":2,"config":{}})"), ManifestKind::kManifest);
  EXPECT_EQ(*detect_manifest_kind(R"({"schemaVersion":2})", media_type::kOciIndex), ManifestKind::kIndex);
  EXPECT_FALSE(detect_manifest_kind(R"({"mediaType":"text/plain"})").ok());
}

TEST(Manifest, WrittenJsonParsesBackTheSame) {
  auto m = parse_manifest(oci_manifest());
  ASSERT_TRUE(m.ok());
  auto again = parse_manifest(manifest_to_json(*m));
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->config.digest, m->config.digest);
  ASSERT_EQ(again->layers.size(), 2U);
  EXPECT_EQ(again->layers[1].media_type, m->layers[1].media_type);
  EXPECT_EQ(again->annotations, m->annotations);

  auto index = parse_index(docker_list());
  ASSERT_TRUE(index.ok());
  auto index_again = parse_index(index_to_json(*index));
  ASSERT_TRUE(index_again.ok()) << index_again.error().message();
  EXPECT_EQ(index_again->manifests[0].platform->str(), "linux/arm/v6");
}

// Found by the oci_documents fuzz target: the writer dropped urls, os.version and
// os.features, so an index berth wrote (an OCI layout export) lost them.
TEST(Index, WrittenJsonKeepsUrlsAndEveryPlatformField) {
  auto index = parse_index(R"({"schemaVersion":2,"manifests":[{"mediaType":
    "application/vnd.oci.image.manifest.v1+json","digest":")" +
                           kA + R"(","size":3,
    "urls":["https://example.com/m"],"platform":{"os":"windows","architecture":"amd64",
    "os.version":"10.0.17763.1","os.features":["win32k"]}}]})");
  ASSERT_TRUE(index.ok()) << index.error().message();
  auto again = parse_index(index_to_json(*index));
  ASSERT_TRUE(again.ok()) << again.error().message();
  const Descriptor& d = again->manifests.at(0);
  EXPECT_EQ(d.urls, std::vector<std::string>{"https://example.com/m"});
  ASSERT_TRUE(d.platform.has_value());
  EXPECT_EQ(*d.platform, *index->manifests[0].platform);
  EXPECT_EQ(d.platform->os_version, "10.0.17763.1");
  EXPECT_EQ(d.platform->os_features, std::vector<std::string>{"win32k"});
}

}  // namespace
}  // namespace berth::images
