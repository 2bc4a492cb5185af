// berth's registry client against a real registry: Debian's docker-registry on a loopback
// port (plain HTTP), the busybox image pushed with skopeo. Manifests and blobs arrive
// verified, Basic auth works from a docker-style config, a mirror keeps the repository path,
// and a blob corrupted on the registry's disk is refused. No root needed.
#include <rapidjson/document.h>

#include <atomic>
#include <fstream>
#include <string>

#include "common/file.h"
#include "images/registry/registry_client.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/local_registry.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using registry::BlobRequest;
using registry::RegistryClient;
using registry::RegistryOptions;

struct Pushed {
  std::string manifest_digest, config_digest, layer_digest;
  uint64_t config_size = 0, layer_size = 0;
};

class RegistryPull : public ::testing::Test {
 protected:
  // The busybox OCI layout pushed as berth/busybox:latest to `reg`; its digests.
  Pushed push_busybox(const LocalRegistry& reg) {
    RunResult made = run_cmd({"bash", fixture_script(), "image-layout", layout_.path() + "/layout", "--no-validate"},
                             {}, std::chrono::seconds(120));
    EXPECT_TRUE(made.ok()) << made;
    RunResult pushed = reg.push("oci:" + layout_.path() + "/layout:latest", "berth/busybox:latest");
    EXPECT_TRUE(pushed.ok()) << pushed;
    RunResult raw = run_cmd({"skopeo", "inspect", "--raw", "oci:" + layout_.path() + "/layout:latest"});
    EXPECT_TRUE(raw.ok()) << raw;
    rapidjson::Document m;
    m.Parse(raw.out.c_str());
    Pushed p;
    if (m.HasParseError() || !m.HasMember("config")) return p;
    p.config_digest = m["config"]["digest"].GetString();
    p.config_size = m["config"]["size"].GetUint64();
    p.layer_digest = m["layers"][0]["digest"].GetString();
    p.layer_size = m["layers"][0]["size"].GetUint64();
    return p;
  }

  // The bytes of a blob of the pushed layout.
  std::string layout_blob(const std::string& digest) {
    return read_file(layout_.path() + "/layout/blobs/sha256/" + digest.substr(7)).value();
  }

  static BlobRequest into(std::string& out, const std::string& digest, uint64_t size) {
    return BlobRequest{digest, size,
                       [&out] {
                         out.clear();
                         return ok();
                       },
                       [&out](std::string_view chunk) {
                         out.append(chunk);
                         return ok();
                       }};
  }

  TempDir layout_{"berth-it-layout-"};
};

TEST_F(RegistryPull, ManifestConfigAndLayerArriveVerified) {
  LocalRegistry reg;
  if (!reg.unavailable().empty()) GTEST_SKIP() << reg.unavailable();
  const Pushed p = push_busybox(reg);
  ASSERT_FALSE(p.layer_digest.empty());
  RegistryClient client(RegistryOptions{});
  ASSERT_TRUE(client.ping(reg.host())) << "GET /v2/ on " << reg.host();
  auto m = client.manifest(reg.host(), "berth/busybox", "latest");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_NE(m->body.find(p.layer_digest), std::string::npos);
  auto by_digest = client.manifest(reg.host(), "berth/busybox", m->digest);
  ASSERT_TRUE(by_digest) << by_digest.error().message();
  EXPECT_EQ(by_digest->body, m->body);

  std::string config, layer;
  std::atomic<int> done{0};
  auto s = client.blobs(reg.host(), "berth/busybox",
                        {into(config, p.config_digest, p.config_size), into(layer, p.layer_digest, p.layer_size)},
                        [&](const registry::Progress& progress) { done += progress.done ? 1 : 0; });
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(config, layout_blob(p.config_digest));
  EXPECT_EQ(layer, layout_blob(p.layer_digest));
  EXPECT_EQ(done, 2) << "each blob reports its end";
}

TEST_F(RegistryPull, UnknownTagAndBlobAreNotFound) {
  LocalRegistry reg;
  if (!reg.unavailable().empty()) GTEST_SKIP() << reg.unavailable();
  const Pushed p = push_busybox(reg);
  RegistryClient client(RegistryOptions{});
  auto m = client.manifest(reg.host(), "berth/busybox", "no-such-tag");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), ENOENT);
  EXPECT_NE(m.error().message().find("manifest " + reg.host() + "/berth/busybox:no-such-tag"), std::string::npos)
      << m.error().message();
  std::string sink;
  const std::string missing = "sha256:" + std::string(64, 'a');
  auto b = client.blob(reg.host(), "berth/busybox", into(sink, missing, 0));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), ENOENT) << b.error().message();
}

TEST_F(RegistryPull, BlobCorruptedOnTheRegistryIsRefused) {
  LocalRegistry reg;
  if (!reg.unavailable().empty()) GTEST_SKIP() << reg.unavailable();
  const Pushed p = push_busybox(reg);
  ASSERT_FALSE(p.layer_digest.empty());
  const std::string hex = p.layer_digest.substr(7);
  const std::string stored =
      reg.data_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
  auto bytes = read_file(stored);
  ASSERT_TRUE(bytes) << bytes.error().message();
  (*bytes)[bytes->size() / 2] ^= 0x5a;
  ASSERT_TRUE(write_file(stored, *bytes));
  RegistryClient client(RegistryOptions{});
  std::string layer;
  auto s = client.blob(reg.host(), "berth/busybox", into(layer, p.layer_digest, p.layer_size));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), EBADMSG);
  EXPECT_NE(s.error().message().find("the bytes are sha256:"), std::string::npos) << s.error().message();
}

TEST_F(RegistryPull, BasicAuthUsesTheDockerConfigCredentials) {
  LocalRegistry reg({.user = "berth", .password = "s3cret"});
  if (!reg.unavailable().empty()) GTEST_SKIP() << reg.unavailable();
  push_busybox(reg);
  auto anonymous = RegistryClient(RegistryOptions{}).manifest(reg.host(), "berth/busybox", "latest");
  ASSERT_FALSE(anonymous);
  EXPECT_NE(anonymous.error().message().find("asks for a user and password"), std::string::npos)
      << anonymous.error().message();
  RegistryOptions options;
  auto creds = registry::CredentialStore::parse(
      R"({"auths": {")" + reg.host() + R"(": {"auth": ")" + registry::base64_encode("berth:s3cret") + R"("}}})",
      "auth.json");
  ASSERT_TRUE(creds);
  options.credentials = *creds;
  auto m = RegistryClient(options).manifest(reg.host(), "berth/busybox", "latest");
  EXPECT_TRUE(m) << m.error().message();
  options.credentials = *registry::CredentialStore::parse(
      R"({"auths": {")" + reg.host() + R"(": {"username": "berth", "password": "wrong"}}})", "auth.json");
  EXPECT_FALSE(RegistryClient(options).manifest(reg.host(), "berth/busybox", "latest"));
}

TEST_F(RegistryPull, MirrorServesTheRegistrysRepositoryPath) {
  LocalRegistry mirror;
  if (!mirror.unavailable().empty()) GTEST_SKIP() << mirror.unavailable();
  push_busybox(mirror);  // the mirror holds registry.berth.invalid/berth/busybox as berth/busybox
  RegistryOptions options;
  // A dead mirror first: the client goes on to the next; the registry itself never resolves.
  options.hosts["registry.berth.invalid"].mirrors = {"http://127.0.0.1:1", "http://" + mirror.host()};
  options.attempts = 1;
  auto m = RegistryClient(options).manifest("registry.berth.invalid", "berth/busybox", "latest");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_NE(m->body.find("\"layers\""), std::string::npos);
}

}  // namespace
}  // namespace berth::integration
