// pull: an image from a real registry (Debian's docker-registry on loopback, fixtures pushed
// with skopeo) into berth's content store. The record names the normalised reference and
// matches the pushed image; a second pull downloads nothing; an index picks the asked
// platform's manifest; a blob corrupted on the registry's disk fails the pull and the store
// holds nothing new. No root needed.
#include <rapidjson/document.h>
#include <sys/mount.h>

#include <atomic>
#include <string>

#include "common/file.h"
#include "images/pull/image_pull.h"
#include "images/snapshot/snapshotter.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/local_registry.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using images::ContentStore;
using images::pull_image;

class ImagePull : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!registry_.unavailable().empty()) GTEST_SKIP() << registry_.unavailable();
    RunResult made = run_cmd({"bash", fixture_script(), "image-layout", tmp_.path() + "/layout", "--no-validate"}, {},
                             std::chrono::seconds(120));
    ASSERT_TRUE(made.ok()) << made;
    RunResult pushed = registry_.push("oci:" + tmp_.path() + "/layout:latest", "berth/busybox:latest");
    ASSERT_TRUE(pushed.ok()) << pushed;
    auto store = ContentStore::open(tmp_.path() + "/store");
    ASSERT_TRUE(store) << store.error().message();
    store_.emplace(std::move(*store));
  }

  // The pushed layout's manifest (skopeo's view).
  rapidjson::Document layout_manifest() {
    RunResult raw = run_cmd({"skopeo", "inspect", "--raw", "oci:" + tmp_.path() + "/layout:latest"});
    rapidjson::Document m;
    m.Parse(raw.out.c_str());
    return m;
  }

  size_t blob_count() {
    auto blobs = store_->list_blobs();
    return blobs ? blobs->size() : 0;
  }

  TempDir tmp_{"berth-it-pull-"};
  LocalRegistry registry_;
  std::optional<ContentStore> store_;
  registry::RegistryClient client_{registry::RegistryOptions{}};
};

TEST_F(ImagePull, PulledImageIsRecordedVerifiedAndSecondPullDownloadsNothing) {
  std::atomic<int> blobs_done{0};
  images::PullOptions options;
  options.progress = [&](const registry::Progress& p) { blobs_done += p.done ? 1 : 0; };
  auto record = pull_image(*store_, client_, registry_.host() + "/berth/busybox", options);
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->name, registry_.host() + "/berth/busybox:latest");
  auto m = layout_manifest();
  ASSERT_FALSE(m.HasParseError());
  EXPECT_EQ(record->config_digest.str(), m["config"]["digest"].GetString());
  ASSERT_EQ(record->layers.size(), 1U);
  EXPECT_EQ(record->layers[0].digest.str(), m["layers"][0]["digest"].GetString());
  EXPECT_EQ(blobs_done, 2) << "config and layer downloaded";
  EXPECT_EQ(blob_count(), 3U) << "manifest, config, layer";
  auto again = pull_image(*store_, client_, registry_.host() + "/berth/busybox:latest", options);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(blobs_done, 2) << "nothing downloaded twice";
  EXPECT_EQ(again->manifest_digest, record->manifest_digest);
}

TEST_F(ImagePull, IndexPicksTheAskedPlatform) {
  // An index of two manifests: the real amd64 one and an "arm64" copy (another annotation,
  // so another digest), pushed with skopeo --all.
  const std::string layout = tmp_.path() + "/layout";
  auto index_text = read_file(layout + "/index.json");
  ASSERT_TRUE(index_text);
  rapidjson::Document index;
  index.Parse(index_text->c_str());
  const std::string amd64_digest = index["manifests"][0]["digest"].GetString();
  auto manifest_text = read_file(layout + "/blobs/sha256/" + amd64_digest.substr(7));
  ASSERT_TRUE(manifest_text);
  rapidjson::Document arm;
  arm.Parse(manifest_text->c_str());
  auto& a = arm.GetAllocator();
  rapidjson::Value annotations(rapidjson::kObjectType);
  annotations.AddMember("org.berth.test", "arm64 copy", a);
  arm.AddMember("annotations", annotations, a);
  const std::string arm_text = json_serialize(arm);
  const std::string arm_digest = images::Digest::of(arm_text).str();
  ASSERT_TRUE(write_file(layout + "/blobs/sha256/" + arm_digest.substr(7), arm_text));
  const std::string multi =
      R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
      amd64_digest + R"(", "size": )" + std::to_string(manifest_text->size()) +
      R"(, "platform": {"os": "linux", "architecture": "amd64"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
      arm_digest + R"(", "size": )" + std::to_string(arm_text.size()) +
      R"(, "platform": {"os": "linux", "architecture": "arm64"}}]})";
  const std::string multi_digest = images::Digest::of(multi).str();
  ASSERT_TRUE(write_file(layout + "/blobs/sha256/" + multi_digest.substr(7), multi));
  ASSERT_TRUE(
      write_file(layout + "/index.json",
                 R"({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", )"
                 R"("digest": ")" +
                     multi_digest + R"(", "size": )" + std::to_string(multi.size()) +
                     R"(, "annotations": {"org.opencontainers.image.ref.name": "multi"}}]})"));
  // skopeo copies an index only with --all; without it the registry gets one manifest.
  RunResult all = run_cmd({"skopeo", "copy", "--quiet", "--all", "--dest-tls-verify=false", "oci:" + layout + ":multi",
                           "docker://" + registry_.host() + "/berth/multi:latest"});
  ASSERT_TRUE(all.ok()) << all;

  images::PullOptions arm64;
  arm64.platform = *images::parse_platform_spec("linux/arm64");
  auto record = pull_image(*store_, client_, registry_.host() + "/berth/multi", arm64);
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->manifest_digest.str(), arm_digest);
  EXPECT_EQ(record->index_digest.str(), multi_digest);
  images::PullOptions amd64;
  amd64.platform = *images::parse_platform_spec("linux/amd64");
  auto native = pull_image(*store_, client_, registry_.host() + "/berth/multi", amd64);
  ASSERT_TRUE(native) << native.error().message();
  EXPECT_EQ(native->manifest_digest.str(), amd64_digest);
  images::PullOptions s390x;
  s390x.platform = *images::parse_platform_spec("linux/s390x");
  EXPECT_FALSE(pull_image(*store_, client_, registry_.host() + "/berth/multi", s390x));
}

TEST_F(ImagePull, CorruptedLayerFailsThePullAndLeavesTheStoreAsItWas) {
  auto m = layout_manifest();
  ASSERT_FALSE(m.HasParseError());
  const std::string hex = std::string(m["layers"][0]["digest"].GetString()).substr(7);
  const std::string stored =
      registry_.data_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
  auto bytes = read_file(stored);
  ASSERT_TRUE(bytes) << bytes.error().message();
  (*bytes)[bytes->size() / 3] ^= 0x33;
  ASSERT_TRUE(write_file(stored, *bytes));
  const size_t before = blob_count();
  auto record = pull_image(*store_, client_, registry_.host() + "/berth/busybox");
  ASSERT_FALSE(record);
  EXPECT_NE(record.error().message().find("the bytes are sha256:"), std::string::npos) << record.error().message();
  EXPECT_EQ(blob_count(), before) << "nothing half-written stays";
}

// Pull and unpack overlap: each layer goes to the snapshotter as soon as it is downloaded,
// and preparing the container's snapshot afterwards unpacks nothing again.
TEST_F(ImagePull, LayersAreUnpackedAsTheyArriveAndOnlyOnce) {
  skip_unless_root();
  images::UnpackPolicy policy;
  policy.devices = images::DeviceNodes::kCreate;
  auto snapshots = images::Snapshotter::open(tmp_.path() + "/snapshots", images::SnapshotBackend::kOverlay, policy);
  ASSERT_TRUE(snapshots) << snapshots.error().message();
  std::atomic<int> handed_on{0};
  images::PullOptions options;
  options.layer_ready = [&](const images::LayerRecord& l, const images::OpenBlobFn& open) -> Status {
    ++handed_on;
    auto fs = snapshots->ensure_layer({l.chain_id.str(), l.diff_id.str(), open, l.media_type});
    if (!fs) return fs.error();
    return ok();
  };
  auto record = pull_image(*store_, client_, registry_.host() + "/berth/busybox", options);
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(handed_on, 1);
  ASSERT_EQ(record->layers.size(), 1U);
  EXPECT_TRUE(path_exists(snapshots->layer_dir(record->layers[0].chain_id.str()) + "/fs/bin/busybox"));
  int reopened = 0;
  const auto& l = record->layers[0];
  std::vector<images::LayerSource> layers = {{l.chain_id.str(), l.diff_id.str(),
                                              [&] {
                                                ++reopened;
                                                return store_->open_blob(l.digest);
                                              },
                                              l.media_type}};
  ASSERT_TRUE(snapshots->prepare("berth-pull-overlap", layers));
  EXPECT_EQ(reopened, 0) << "prepare unpacked the layer a second time";
  auto again = pull_image(*store_, client_, registry_.host() + "/berth/busybox", options);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(handed_on, 1) << "a stored layer is not downloaded, so not handed on";
}

TEST_F(ImagePull, FailedLayerUnpackFailsThePullAndLeavesTheStoreAsItWas) {
  const size_t before = blob_count();
  images::PullOptions options;
  options.layer_ready = [](const images::LayerRecord&, const images::OpenBlobFn&) -> Status {
    return Error(EIO, "the snapshotter refused it");
  };
  auto record = pull_image(*store_, client_, registry_.host() + "/berth/busybox", options);
  ASSERT_FALSE(record);
  EXPECT_NE(record.error().message().find("the snapshotter refused it"), std::string::npos) << record.error().message();
  EXPECT_EQ(blob_count(), before) << "nothing half-pulled stays";
}

// The whole image path: pulled, unpacked once per layer, mounted as an overlay root, run.
TEST_F(ImagePull, PulledImageRunsAsAContainerFromItsOverlaySnapshot) {
  skip_unless_root();
  auto record = pull_image(*store_, client_, registry_.host() + "/berth/busybox");
  ASSERT_TRUE(record) << record.error().message();
  images::UnpackPolicy policy;
  policy.devices = images::DeviceNodes::kCreate;
  auto snapshots = images::Snapshotter::open(tmp_.path() + "/snapshots", images::SnapshotBackend::kOverlay, policy);
  ASSERT_TRUE(snapshots) << snapshots.error().message();
  std::vector<images::LayerSource> layers;
  for (const auto& l : record->layers) {
    layers.push_back(
        {l.chain_id.str(), l.diff_id.str(), [this, d = l.digest] { return store_->open_blob(d); }, l.media_type});
  }
  BundleFixture fx(
      {.args = {"sh", "-c",
                "echo from-the-image; test -e /berth-fixture-only && echo fixture-visible; ls /bin/busybox"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string id = fx.new_id("pull");
  auto mounts = snapshots->prepare(id, layers);
  ASSERT_TRUE(mounts) << mounts.error().message();
  ASSERT_EQ(mounts->size(), 1U);
  ASSERT_EQ((*mounts)[0].type, "overlay");
  std::string data;
  for (const auto& o : (*mounts)[0].options) data += (data.empty() ? "" : ",") + o;
  // The fixture's own busybox copy (marked) is hidden under the image's root.
  ASSERT_TRUE(write_file(fx.rootfs() + "/berth-fixture-only", "x"));
  ASSERT_EQ(::mount("overlay", fx.rootfs().c_str(), "overlay", 0, data.c_str()), 0) << std::strerror(errno);
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  ::umount2(fx.rootfs().c_str(), MNT_DETACH);
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out.rfind("from-the-image\n", 0), 0U) << r;
  EXPECT_NE(r.out.find("/bin/busybox"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("fixture-visible"), std::string::npos) << "the container saw the fixture's root: " << r;
  EXPECT_TRUE(snapshots->remove(id));
  auto unused = snapshots->unused_layers();
  ASSERT_TRUE(unused);
  EXPECT_EQ(unused->size(), record->layers.size()) << "the layers stay, shared, after the container's snapshot goes";
}

}  // namespace
}  // namespace berth::integration
