#include "images/store/gc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "common/file.h"
#include "images/oci/manifest.h"
#include "tests/unit/support/content_store_fixture.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::images {
namespace {

class GcTest : public testing::ContentStoreFixture {
 protected:
  GcTest() : ContentStoreFixture("berth-gc-") {}

  Descriptor put(std::string_view data, std::string_view type) {
    auto digest = store_->put(data);
    EXPECT_TRUE(digest.ok()) << digest.error().message();
    return Descriptor{.media_type = std::string(type), .digest = *digest, .size = data.size()};
  }

  // Stores an image of `layers` (their contents) and returns the manifest descriptor.
  Descriptor put_image(const std::vector<std::string>& layers, const std::string& config_note) {
    Manifest m{.media_type = std::string(media_type::kOciManifest)};
    std::string diff_ids;
    for (const std::string& layer : layers) {
      m.layers.push_back(put(layer, media_type::kOciLayer));
      diff_ids += (diff_ids.empty() ? "\"" : ",\"") + m.layers.back().digest.str() + "\"";
    }
    std::string config = R"({"os":"linux","architecture":"amd64","author":")" + config_note +
                         R"(","rootfs":{"type":"layers","diff_ids":[)" + diff_ids + "]}}";
    m.config = put(config, media_type::kOciConfig);
    return put(manifest_to_json(m), media_type::kOciManifest);
  }

  void save_record(const std::string& name, const Descriptor& manifest, const Digest& index = {}) {
    ImageRecord record{.name = name, .index_digest = index, .manifest_digest = manifest.digest};
    ASSERT_TRUE(save_image_record(*store_, record).ok());
  }
};

TEST_F(GcTest, PruneKeepsSharedBlobsAndRemovesUnreferencedOnes) {
  Descriptor a = put_image({"base layer", "app a layer"}, "a");
  Descriptor b = put_image({"base layer", "app b layer"}, "b");
  save_record("docker.io/library/a:latest", a);
  save_record("docker.io/library/b:latest", b);
  Descriptor stray = put("nobody points here", media_type::kOciLayer);

  auto report = prune(*store_);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->removed, std::vector<Digest>{stray.digest});
  EXPECT_EQ(report->bytes_freed, stray.size);
  // 2 manifests + 2 configs + 3 distinct layers.
  EXPECT_EQ(store_->list_blobs()->size(), 7U);

  // Removing image a frees its own blobs; the base layer stays for b.
  ASSERT_TRUE(remove_image_record(*store_, "docker.io/library/a:latest").ok());
  report = prune(*store_);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->removed.size(), 3U);  // manifest, config, "app a layer"
  EXPECT_TRUE(store_->has(Digest::of("base layer")));
  EXPECT_FALSE(store_->has(Digest::of("app a layer")));
  EXPECT_TRUE(store_->has(Digest::of("app b layer")));
  EXPECT_TRUE(store_->has(b.digest));

  ASSERT_TRUE(remove_image_record(*store_, "docker.io/library/b:latest").ok());
  report = prune(*store_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->removed.size(), 4U);
  EXPECT_TRUE(store_->list_blobs()->empty());
}

TEST_F(GcTest, IndexKeepsTheManifestsTheStoreHolds) {
  Descriptor chosen = put_image({"amd64 layer"}, "amd64");
  chosen.platform = Platform{.os = "linux", .architecture = "amd64"};
  Descriptor absent{.media_type = std::string(media_type::kOciManifest),
                    .digest = Digest::of("arm64 manifest never pulled"),
                    .size = 5,
                    .platform = Platform{.os = "linux", .architecture = "arm64"}};
  Index index{.media_type = std::string(media_type::kOciIndex), .manifests = {absent, chosen}};
  Descriptor index_blob = put(index_to_json(index), media_type::kOciIndex);
  // The record names the chosen manifest and the index; a second tag points at the index only.
  save_record("docker.io/library/multi:latest", chosen, index_blob.digest);
  ImageRecord index_only{.name = "docker.io/library/multi:alias", .index_digest = index_blob.digest};
  ASSERT_TRUE(save_image_record(*store_, index_only).ok());
  put("garbage", media_type::kOciLayer);

  auto marked = referenced_blobs(*store_, index_only);
  ASSERT_TRUE(marked.ok()) << marked.error().message();
  EXPECT_EQ(marked->size(), 4U);  // index, manifest, config, layer
  auto report = prune(*store_);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->removed, std::vector<Digest>{Digest::of("garbage")});
  EXPECT_TRUE(store_->has(index_blob.digest));
  EXPECT_TRUE(store_->has(Digest::of("amd64 layer")));
}

TEST_F(GcTest, UnreadableManifestStopsThePrune) {
  Descriptor bogus = put("{not json", media_type::kOciManifest);
  save_record("docker.io/library/broken:latest", bogus);
  put("would be collected", media_type::kOciLayer);
  auto report = prune(*store_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message().find("image docker.io/library/broken:latest: blob " + bogus.digest.str()),
            std::string::npos)
      << report.error().message();
  EXPECT_TRUE(store_->has(Digest::of("would be collected")));
}

TEST_F(GcTest, DiskUsageSplitsSharedFromUniqueBytes) {
  Descriptor a = put_image({"base layer", "app a layer"}, "a");
  Descriptor b = put_image({"base layer", "app b layer!"}, "b");
  save_record("docker.io/library/a:latest", a);
  save_record("docker.io/library/b:latest", b);
  put("stray", media_type::kOciLayer);

  auto usage = disk_usage(*store_);
  ASSERT_TRUE(usage.ok()) << usage.error().message();
  uint64_t total = 0;
  auto listed = store_->list_blobs();
  ASSERT_TRUE(listed.ok());
  for (const BlobInfo& blob : *listed) total += blob.size;
  EXPECT_EQ(usage->total_bytes, total);
  EXPECT_EQ(usage->unreferenced_bytes, 5U);
  ASSERT_EQ(usage->images.size(), 2U);
  const ImageUsage& ua = usage->images[0];
  EXPECT_EQ(ua.name, "docker.io/library/a:latest");
  EXPECT_EQ(ua.shared_bytes, std::string("base layer").size());
  auto manifest_a = parse_manifest(*store_->read_blob(a.digest));
  ASSERT_TRUE(manifest_a.ok());
  uint64_t a_unique = a.size + std::string("app a layer").size() + manifest_a->config.size;
  EXPECT_EQ(ua.unique_bytes, a_unique);
  EXPECT_EQ(ua.total_bytes, ua.shared_bytes + ua.unique_bytes);
  EXPECT_EQ(usage->images[1].shared_bytes, std::string("base layer").size());
  EXPECT_EQ(usage->total_bytes,
            usage->unreferenced_bytes + ua.unique_bytes + usage->images[1].unique_bytes + ua.shared_bytes);
}

TEST_F(GcTest, RecordsRoundTripAndListByName) {
  Descriptor m = put_image({"l"}, "x");
  ImageRecord r{.name = "localhost:5000/x:1", .manifest_digest = m.digest, .os = "linux", .architecture = "amd64"};
  r.layers.push_back(LayerRecord{.digest = Digest::of("l"),
                                 .media_type = std::string(media_type::kOciLayer),
                                 .size = 1,
                                 .diff_id = Digest::of("l"),
                                 .chain_id = Digest::of("l")});
  ASSERT_TRUE(save_image_record(*store_, r).ok());
  auto back = load_image_record(*store_, "localhost:5000/x:1");
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->manifest_digest, m.digest);
  EXPECT_TRUE(back->index_digest.empty());
  ASSERT_EQ(back->layers.size(), 1U);
  EXPECT_EQ(back->layers[0].diff_id, Digest::of("l"));
  EXPECT_EQ(back->layers[0].media_type, media_type::kOciLayer);
  auto missing = load_image_record(*store_, "busybox");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "image \"busybox\" is not in the store");
  auto all = list_image_records(*store_);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ((*all)[0].name, "localhost:5000/x:1");
}

}  // namespace
}  // namespace berth::images
