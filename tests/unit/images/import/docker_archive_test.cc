#include "images/import/docker_archive.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <set>
#include <string>

#include "common/file.h"
#include "images/oci/descriptor.h"
#include "tests/unit/support/content_store_fixture.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::images {
namespace {

// Hand-made `docker save` archives: the legacy layout (<id>/layer.tar) with a config named
// by its digest. Layer bytes are opaque here: only their digests matter.
class DockerArchiveTest : public testing::ContentStoreFixture {
 protected:
  DockerArchiveTest() : ContentStoreFixture("berth-docker-archive-") {}

  void SetUp() override {
    ContentStoreFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(mkdir_p(dir_.path("src/1111/")).ok());
    ASSERT_TRUE(mkdir_p(dir_.path("src/2222/")).ok());
  }

  // Writes the archive: layers[i] goes to <id i>/layer.tar, `diff_ids` into the config.
  std::string make_archive(const std::vector<std::string>& layers, const std::vector<Digest>& diff_ids,
                           const std::string& repo_tags = R"(["example/app:1","example/app:latest"])") {
    std::string ids;
    for (const Digest& d : diff_ids) ids += (ids.empty() ? "\"" : ",\"") + d.str() + "\"";
    config_ =
        R"({"architecture":"amd64","os":"linux","config":{"Cmd":["/app"]},"rootfs":{"type":"layers","diff_ids":[)" +
        ids + "]}}";
    std::string config_name = Digest::of(config_).hex() + ".json";
    EXPECT_TRUE(write_file(dir_.path("src/" + config_name), config_).ok());
    std::string paths;
    const char* dirs[] = {"1111", "2222"};
    for (size_t i = 0; i < layers.size(); ++i) {
      std::string p = std::string(dirs[i]) + "/layer.tar";
      EXPECT_TRUE(write_file(dir_.path("src/" + p), layers[i]).ok());
      paths += (paths.empty() ? "\"" : ",\"") + p + "\"";
    }
    std::string manifest =
        R"([{"Config":")" + config_name + R"(","RepoTags":)" + repo_tags + R"(,"Layers":[)" + paths + "]}]";
    EXPECT_TRUE(write_file(dir_.path("src/manifest.json"), manifest).ok());
    std::string archive = dir_.path("image.tar");
    std::string cmd = "cd " + dir_.path("src") + " && tar -cf " + archive + " *";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return archive;
  }

  std::set<Digest> blobs() {
    std::set<Digest> out;
    auto listed = store_->list_blobs();
    EXPECT_TRUE(listed.ok());
    for (const BlobInfo& b : *listed) out.insert(b.digest);
    return out;
  }

  std::string config_;
};

TEST_F(DockerArchiveTest, ImportsEveryRepoTagWithLayerMediaTypesFromTheirBytes) {
  std::string plain = "plain tar bytes";
  std::string gzipped = "\x1f\x8b compressed bytes";
  Digest gzip_diff_id = Digest::of("what the gzip layer unpacks to");
  std::string archive = make_archive({plain, gzipped}, {Digest::of(plain), gzip_diff_id});

  auto records = import_docker_archive(*store_, archive, ImportOptions{});
  ASSERT_TRUE(records.ok()) << records.error().message();
  ASSERT_EQ(records->size(), 2U);
  EXPECT_EQ((*records)[0].name, "docker.io/example/app:1");
  EXPECT_EQ((*records)[1].name, "docker.io/example/app:latest");
  const ImageRecord& r = (*records)[0];
  EXPECT_EQ(r.manifest_digest, (*records)[1].manifest_digest);
  EXPECT_EQ(r.config_digest, Digest::of(config_));
  ASSERT_EQ(r.layers.size(), 2U);
  EXPECT_EQ(r.layers[0].digest, Digest::of(plain));
  EXPECT_EQ(r.layers[0].media_type, media_type::kOciLayer);
  EXPECT_EQ(r.layers[1].digest, Digest::of(gzipped));
  EXPECT_EQ(r.layers[1].media_type, media_type::kOciLayerGzip);
  EXPECT_EQ(r.layers[1].diff_id, gzip_diff_id);
  EXPECT_EQ(r.layers[1].size, gzipped.size());
  EXPECT_EQ(*store_->read_blob(r.layers[1].digest), gzipped);
  // The manifest berth wrote is in the store, so GC keeps everything.
  EXPECT_TRUE(store_->has(r.manifest_digest));
  EXPECT_EQ(blobs().size(), 4U);
  auto saved = load_image_record(*store_, "docker.io/example/app:latest");
  ASSERT_TRUE(saved.ok()) << saved.error().message();
}

TEST_F(DockerArchiveTest, UncompressedLayerThatIsNotItsDiffIdIsRefused) {
  std::string archive = make_archive({"layer bytes"}, {Digest::of("something else")});
  auto records = import_docker_archive(*store_, archive, ImportOptions{});
  ASSERT_FALSE(records.ok());
  EXPECT_NE(records.error().message().find("layer 1111/layer.tar: ingest " + Digest::of("something else").str() +
                                           ": digest mismatch: expected " + Digest::of("something else").str() +
                                           ", got " + Digest::of("layer bytes").str()),
            std::string::npos)
      << records.error().message();
  EXPECT_TRUE(blobs().empty()) << "the config ingested before the layer must be removed again";
}

TEST_F(DockerArchiveTest, ArchiveWithoutRepoTagsNeedsAName) {
  std::string archive = make_archive({"l"}, {Digest::of("l")}, "[]");
  auto unnamed = import_docker_archive(*store_, archive, ImportOptions{});
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.error().message().find("has no RepoTags: give it a name"), std::string::npos);
  auto named = import_docker_archive(*store_, archive, ImportOptions{.name = "localhost:5000/mine"});
  ASSERT_TRUE(named.ok()) << named.error().message();
  EXPECT_EQ(named->at(0).name, "localhost:5000/mine:latest");
}

TEST_F(DockerArchiveTest, ConfigCountMismatchIsRefused) {
  std::string archive = make_archive({"a", "b"}, {Digest::of("a")});
  auto records = import_docker_archive(*store_, archive, ImportOptions{});
  ASSERT_FALSE(records.ok());
  EXPECT_NE(records.error().message().find("lists 1 diff_ids for the 2 Layers of manifest.json"), std::string::npos)
      << records.error().message();
  EXPECT_TRUE(blobs().empty());
}

}  // namespace
}  // namespace berth::images
