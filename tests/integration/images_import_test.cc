// Importing real images into the content store: the busybox OCI layout that
// scripts/make-busybox-fixture.sh builds, the docker-archive skopeo converts it to, a
// multi-platform index made by hand, and a layout with a corrupted blob. Needs neither
// root nor a network; skopeo only for the docker-archive and the cross-checks.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/file.h"
#include "common/json.h"
#include "images/import/docker_archive.h"
#include "images/import/oci_layout.h"
#include "images/oci/manifest.h"
#include "images/store/gc.h"
#include "tests/integration/support/busybox_layout_fixture.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/peers.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using images::ContentStore;
using images::Descriptor;
using images::Digest;
using images::ImageRecord;
using images::ImportOptions;
namespace media_type = images::media_type;

// `json` parsed, with `path` ("config.digest") read as a string; "" when absent.
std::string json_string_at(const std::string& json, const std::vector<std::string>& path) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError()) return {};
  const rapidjson::Value* v = &doc;
  for (const std::string& key : path) {
    if (v->IsArray()) {
      size_t i = std::stoul(key);
      if (i >= v->Size()) return {};
      v = &(*v)[static_cast<rapidjson::SizeType>(i)];
    } else if (v->IsObject() && v->HasMember(key.c_str())) {
      v = &(*v)[key.c_str()];
    } else {
      return {};
    }
  }
  return v->IsString() ? v->GetString() : std::string();
}

class ImagesImportTest : public BusyboxLayoutFixture {
 protected:
  ImagesImportTest() : BusyboxLayoutFixture("berth-images-it-") {}

  // The layout as a `docker save` archive, written by skopeo (the caller checks that it is
  // installed); "" when the copy failed.
  std::string skopeo_docker_archive() {
    std::string archive = dir_.path("busybox.tar");
    RunResult copy = run_cmd({"skopeo", "--insecure-policy", "copy", "oci:" + layout_ + ":latest",
                              "docker-archive:" + archive + ":berth/busybox:latest"},
                             {}, std::chrono::seconds(120));
    EXPECT_TRUE(copy.ok()) << copy;
    return copy.ok() ? archive : std::string();
  }

  // The layout's own answer for its "latest" image: the manifest descriptor in index.json.
  Descriptor layout_manifest() {
    auto text = read_file(layout_ + "/index.json");
    EXPECT_TRUE(text.ok());
    auto index = images::parse_index(*text);
    EXPECT_TRUE(index.ok()) << index.error().message();
    return index->manifests.at(0);
  }

  std::string layout_blob(const Digest& d) {
    auto text = read_file(layout_ + "/blobs/sha256/" + d.hex());
    return text.ok() ? *text : std::string();
  }

  // Writes `data` as a blob of the layout; returns its descriptor.
  Descriptor put_layout_blob(const std::string& data, std::string_view type) {
    Digest d = Digest::of(data);
    EXPECT_TRUE(write_file(layout_ + "/blobs/sha256/" + d.hex(), data).ok());
    return Descriptor{.media_type = std::string(type), .digest = d, .size = data.size()};
  }

  std::set<std::string> store_files() {
    std::set<std::string> out;
    for (const char* sub : {"blobs/sha256", "blobs/sha512", "ingest", "images"}) {
      auto names = list_dir(dir_.path("store/") + sub);
      if (!names.ok()) continue;
      for (const std::string& n : *names) out.insert(std::string(sub) + "/" + n);
    }
    return out;
  }
};

TEST_F(ImagesImportTest, BusyboxOciLayoutImportsWithItsDigestsAndDiffIds) {
  auto record = images::import_oci_layout(*store_, layout_, ImportOptions{.name = "berth/busybox"});
  ASSERT_TRUE(record.ok()) << record.error().message();

  Descriptor manifest = layout_manifest();
  std::string manifest_json = layout_blob(manifest.digest);
  std::string config_digest = json_string_at(manifest_json, {"config", "digest"});
  std::string layer_digest = json_string_at(manifest_json, {"layers", "0", "digest"});
  std::string config_json = layout_blob(*Digest::parse(config_digest));
  std::string diff_id = json_string_at(config_json, {"rootfs", "diff_ids", "0"});
  ASSERT_FALSE(diff_id.empty()) << config_json;

  EXPECT_EQ(record->name, "docker.io/berth/busybox:latest");
  EXPECT_EQ(record->manifest_digest, manifest.digest);
  EXPECT_EQ(record->manifest_media_type, media_type::kOciManifest);
  EXPECT_EQ(record->config_digest.str(), config_digest);
  EXPECT_TRUE(record->index_digest.empty());
  EXPECT_EQ(record->os, "linux");
  ASSERT_EQ(record->layers.size(), 1U);
  EXPECT_EQ(record->layers[0].digest.str(), layer_digest);
  EXPECT_EQ(record->layers[0].media_type, media_type::kOciLayerGzip);
  EXPECT_EQ(record->layers[0].diff_id.str(), diff_id);
  EXPECT_EQ(record->layers[0].chain_id.str(), diff_id) << "a single layer's chain ID is its diff_id";

  // The diff_id is the sha256 of the uncompressed layer, as gzip and sha256sum see it.
  RunResult gunzip = run_cmd({"sh", "-c", "gzip -dc \"$0\" | sha256sum", store_->blob_path(record->layers[0].digest)});
  ASSERT_TRUE(gunzip.ok()) << gunzip;
  EXPECT_EQ("sha256:" + gunzip.out.substr(0, 64), diff_id);

  // skopeo reads the layout the same way.
  if (!find_program("skopeo").empty()) {
    RunResult raw = run_cmd({"skopeo", "inspect", "--raw", "oci:" + layout_ + ":latest"});
    ASSERT_TRUE(raw.ok()) << raw;
    EXPECT_EQ(Digest::of(raw.out), record->manifest_digest);
    RunResult config = run_cmd({"skopeo", "inspect", "--config", "--raw", "oci:" + layout_ + ":latest"});
    ASSERT_TRUE(config.ok()) << config;
    EXPECT_EQ(Digest::of(config.out), record->config_digest);
  }

  // The record is saved, and every blob it needs is in the store.
  auto saved = images::load_image_record(*store_, "docker.io/berth/busybox:latest");
  ASSERT_TRUE(saved.ok()) << saved.error().message();
  EXPECT_EQ(saved->config_digest, record->config_digest);
  auto fd = store_->open_blob(saved->layers[0].digest);
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  auto pruned = images::prune(*store_);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message();
  EXPECT_TRUE(pruned->removed.empty());
  EXPECT_EQ(store_->list_blobs()->size(), 3U);
}

TEST_F(ImagesImportTest, SkopeoDockerArchiveImportsWithTheSameConfigAndDiffIds) {
  if (find_program("skopeo").empty()) GTEST_SKIP() << "skopeo is not installed (apt-get install skopeo)";
  std::string archive = skopeo_docker_archive();
  ASSERT_FALSE(archive.empty());

  auto oci = images::import_oci_layout(*store_, layout_, ImportOptions{.name = "oci/busybox"});
  ASSERT_TRUE(oci.ok()) << oci.error().message();
  auto records = images::import_docker_archive(*store_, archive, ImportOptions{});
  ASSERT_TRUE(records.ok()) << records.error().message();
  ASSERT_EQ(records->size(), 1U);
  const ImageRecord& r = records->front();
  EXPECT_EQ(r.name, "docker.io/berth/busybox:latest");
  EXPECT_EQ(r.manifest_media_type, media_type::kOciManifest);
  ASSERT_EQ(r.layers.size(), 1U);
  EXPECT_EQ(r.layers[0].diff_id, oci->layers[0].diff_id);
  EXPECT_EQ(r.layers[0].chain_id, oci->layers[0].chain_id);
  // docker-archive layers are uncompressed: the blob is the diff itself.
  EXPECT_EQ(r.layers[0].media_type, media_type::kOciLayer);
  EXPECT_EQ(r.layers[0].digest, r.layers[0].diff_id);
  // skopeo keeps the config bytes, so both imports share the config blob.
  EXPECT_EQ(r.config_digest, oci->config_digest);
  auto saved = images::load_image_record(*store_, "docker.io/berth/busybox:latest");
  ASSERT_TRUE(saved.ok()) << saved.error().message();

  auto usage = images::disk_usage(*store_);
  ASSERT_TRUE(usage.ok()) << usage.error().message();
  ASSERT_EQ(usage->images.size(), 2U);
  auto config_size = store_->blob_size(r.config_digest);
  ASSERT_TRUE(config_size.ok());
  EXPECT_EQ(usage->images[0].shared_bytes, *config_size);
  EXPECT_EQ(usage->unreferenced_bytes, 0U);
}

TEST_F(ImagesImportTest, OciArchiveFromSkopeoImportsLikeItsDirectory) {
  if (find_program("skopeo").empty()) GTEST_SKIP() << "skopeo is not installed (apt-get install skopeo)";
  std::string archive = dir_.path("busybox-oci.tar");
  RunResult copy = run_cmd(
      {"skopeo", "--insecure-policy", "copy", "oci:" + layout_ + ":latest", "oci-archive:" + archive + ":latest"}, {},
      std::chrono::seconds(120));
  ASSERT_TRUE(copy.ok()) << copy;

  auto from_dir = images::import_oci_layout(*store_, layout_, ImportOptions{.name = "dir/busybox"});
  ASSERT_TRUE(from_dir.ok()) << from_dir.error().message();
  auto from_tar = images::import_oci_layout(*store_, archive, ImportOptions{.name = "tar/busybox", .ref = "latest"});
  ASSERT_TRUE(from_tar.ok()) << from_tar.error().message();
  EXPECT_EQ(from_tar->name, "docker.io/tar/busybox:latest");
  EXPECT_EQ(from_tar->manifest_digest, from_dir->manifest_digest);
  EXPECT_EQ(from_tar->config_digest, from_dir->config_digest);
  ASSERT_EQ(from_tar->layers.size(), 1U);
  EXPECT_EQ(from_tar->layers[0].diff_id, from_dir->layers[0].diff_id);

  // A tar that is not a layout says what is missing, and adds nothing to the store.
  std::set<std::string> before = store_files();
  std::string not_layout = dir_.path("plain.tar");
  ASSERT_TRUE(run_cmd({"tar", "-cf", not_layout, "-C", layout_, "index.json"}).ok());
  auto refused = images::import_oci_layout(*store_, not_layout, ImportOptions{.name = "bad/busybox"});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("oci-layout"), std::string::npos) << refused.error().message();
  EXPECT_EQ(store_files(), before);
}

TEST_F(ImagesImportTest, MultiPlatformIndexSelectsLinuxAmd64) {
  Descriptor amd64 = layout_manifest();
  amd64.annotations.clear();
  amd64.platform = images::Platform{.os = "linux", .architecture = "amd64"};
  // A second image for another machine: its own config, the same layer.
  std::string amd64_manifest = layout_blob(amd64.digest);
  auto parsed = images::parse_manifest(amd64_manifest);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  std::string diff_id = json_string_at(layout_blob(parsed->config.digest), {"rootfs", "diff_ids", "0"});
  images::Manifest arm = *parsed;
  arm.config = put_layout_blob(
      R"({"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" + diff_id + R"("]}})",
      media_type::kOciConfig);
  Descriptor arm64 = put_layout_blob(images::manifest_to_json(arm), media_type::kOciManifest);
  arm64.platform = images::Platform{.os = "linux", .architecture = "arm64", .variant = "v8"};
  images::Index index{.media_type = std::string(media_type::kOciIndex), .manifests = {arm64, amd64}};
  Descriptor index_blob = put_layout_blob(images::index_to_json(index), media_type::kOciIndex);
  index_blob.annotations["org.opencontainers.image.ref.name"] = "multi";
  images::Index layout_index{.media_type = std::string(media_type::kOciIndex), .manifests = {index_blob}};
  ASSERT_TRUE(write_file(layout_ + "/index.json", images::index_to_json(layout_index)).ok());

  images::Platform want{.os = "linux", .architecture = "amd64"};
  auto record =
      images::import_oci_layout(*store_, layout_, ImportOptions{.name = "multi", .ref = "multi", .platform = want});
  ASSERT_TRUE(record.ok()) << record.error().message();
  EXPECT_EQ(record->manifest_digest, amd64.digest);
  EXPECT_EQ(record->index_digest, index_blob.digest);
  EXPECT_TRUE(store_->has(index_blob.digest));
  EXPECT_FALSE(store_->has(arm64.digest)) << "only the chosen platform's manifest is imported";
  EXPECT_FALSE(store_->has(arm.config.digest));

  auto other = images::import_oci_layout(
      *store_, layout_,
      ImportOptions{.name = "multi:arm", .platform = images::Platform{.os = "linux", .architecture = "aarch64"}});
  ASSERT_TRUE(other.ok()) << other.error().message();
  EXPECT_EQ(other->manifest_digest, arm64.digest);
  EXPECT_EQ(other->architecture, "arm64");

  auto none = images::import_oci_layout(
      *store_, layout_,
      ImportOptions{.name = "multi:s390x", .platform = images::Platform{.os = "linux", .architecture = "s390x"}});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("no manifest for linux/s390x in the index (it has linux/arm64, linux/amd64)"),
            std::string::npos)
      << none.error().message();
}

TEST_F(ImagesImportTest, CorruptedLayerBlobIsRefusedAndTheStoreHoldsNothingNew) {
  // Something already in the store must stay exactly as it was.
  auto earlier = store_->put("an earlier blob");
  ASSERT_TRUE(earlier.ok());
  std::set<std::string> before = store_files();

  Descriptor manifest = layout_manifest();
  std::string layer_digest = json_string_at(layout_blob(manifest.digest), {"layers", "0", "digest"});
  std::string layer_path = layout_ + "/blobs/sha256/" + Digest::parse(layer_digest)->hex();
  auto layer = read_file(layer_path);
  ASSERT_TRUE(layer.ok());
  std::string corrupted = *layer;
  corrupted[corrupted.size() / 2] = static_cast<char>(corrupted[corrupted.size() / 2] ^ 0x5a);
  ASSERT_TRUE(write_file(layer_path, corrupted).ok());

  auto record = images::import_oci_layout(*store_, layout_, ImportOptions{.name = "berth/busybox"});
  ASSERT_FALSE(record.ok());
  const std::string& msg = record.error().message();
  EXPECT_NE(msg.find("digest mismatch: expected " + layer_digest + ", got " + Digest::of(corrupted).str()),
            std::string::npos)
      << msg;
  EXPECT_EQ(store_files(), before);

  // A truncated blob is a size mismatch, and also leaves nothing.
  ASSERT_TRUE(write_file(layer_path, layer->substr(0, layer->size() - 1)).ok());
  record = images::import_oci_layout(*store_, layout_, ImportOptions{.name = "berth/busybox"});
  ASSERT_FALSE(record.ok());
  EXPECT_NE(record.error().message().find("size mismatch: expected " + std::to_string(layer->size()) + " bytes, got " +
                                          std::to_string(layer->size() - 1)),
            std::string::npos)
      << record.error().message();
  EXPECT_EQ(store_files(), before);
}

TEST_F(ImagesImportTest, DockerArchiveWithAWrongLayerIsRefusedAndLeavesNothing) {
  if (find_program("skopeo").empty()) GTEST_SKIP() << "skopeo is not installed (apt-get install skopeo)";
  std::string archive = skopeo_docker_archive();
  ASSERT_FALSE(archive.empty());
  // Flip one byte in the middle of the archive: inside the layer tar, far from any header.
  auto bytes = read_file(archive);
  ASSERT_TRUE(bytes.ok());
  std::string flipped = *bytes;
  size_t at = flipped.size() / 2;
  flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
  ASSERT_TRUE(write_file(archive, flipped).ok());
  std::set<std::string> before = store_files();
  auto records = images::import_docker_archive(*store_, archive, ImportOptions{});
  ASSERT_FALSE(records.ok());
  EXPECT_NE(records.error().message().find("digest mismatch"), std::string::npos) << records.error().message();
  EXPECT_EQ(store_files(), before);
}

}  // namespace
}  // namespace berth::integration
