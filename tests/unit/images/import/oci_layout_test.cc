#include "images/import/oci_layout.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/file.h"
#include "images/oci/manifest.h"
#include "tests/unit/support/content_store_fixture.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::images {
namespace {

// Hand-made OCI layouts: one image "v1" of one (opaque) layer, under <tmp>/layout.
class OciLayoutTest : public testing::ContentStoreFixture {
 protected:
  OciLayoutTest() : ContentStoreFixture("berth-oci-layout-") {}

  void SetUp() override {
    ContentStoreFixture::SetUp();
    if (HasFatalFailure()) return;
    layout_ = dir_.path("layout");
    ASSERT_TRUE(mkdir_p(layout_ + "/blobs/sha256").ok());
    ASSERT_TRUE(write_file(layout_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})").ok());
    manifest_ = put_image("layer one", "v1");
    write_index({manifest_});
  }

  Descriptor put_blob(const std::string& data, std::string_view type) {
    Digest d = Digest::of(data);
    EXPECT_TRUE(write_file(layout_ + "/blobs/sha256/" + d.hex(), data).ok());
    return Descriptor{.media_type = std::string(type), .digest = d, .size = data.size()};
  }

  Descriptor put_image(const std::string& layer, const std::string& ref) {
    Manifest m{.media_type = std::string(media_type::kOciManifest)};
    m.layers.push_back(put_blob(layer, media_type::kOciLayer));
    m.config = put_blob(R"({"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[")" +
                            Digest::of(layer).str() + R"("]}})",
                        media_type::kOciConfig);
    Descriptor d = put_blob(manifest_to_json(m), media_type::kOciManifest);
    d.annotations["org.opencontainers.image.ref.name"] = ref;
    return d;
  }

  void write_index(const std::vector<Descriptor>& manifests) {
    Index index{.media_type = std::string(media_type::kOciIndex), .manifests = manifests};
    ASSERT_TRUE(write_file(layout_ + "/index.json", index_to_json(index)).ok());
  }

  std::string layout_;
  Descriptor manifest_;
};

TEST_F(OciLayoutTest, ImportsTheOnlyImageUnderTheGivenName) {
  auto record = import_oci_layout(*store_, layout_, ImportOptions{.name = "example.com/app:v1"});
  ASSERT_TRUE(record.ok()) << record.error().message();
  EXPECT_EQ(record->name, "example.com/app:v1");
  EXPECT_EQ(record->manifest_digest, manifest_.digest);
  ASSERT_EQ(record->layers.size(), 1U);
  EXPECT_EQ(record->layers[0].diff_id, Digest::of("layer one"));
  EXPECT_TRUE(load_image_record(*store_, "example.com/app:v1").ok());
}

TEST_F(OciLayoutTest, ChoosesByRefNameAndListsTheRefsWhenMissing) {
  Descriptor second = put_image("layer two", "v2");
  write_index({manifest_, second});
  auto ambiguous = import_oci_layout(*store_, layout_, ImportOptions{.name = "app"});
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.error().message().find("the layout holds 2 images: choose one by ref name (v1, v2)"),
            std::string::npos)
      << ambiguous.error().message();
  auto missing = import_oci_layout(*store_, layout_, ImportOptions{.name = "app", .ref = "v3"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "import OCI layout " + layout_ + ": no image with ref name \"v3\" (the layout has v1, v2)");
  auto v2 = import_oci_layout(*store_, layout_, ImportOptions{.name = "app", .ref = "v2"});
  ASSERT_TRUE(v2.ok()) << v2.error().message();
  EXPECT_EQ(v2->manifest_digest, second.digest);
  EXPECT_EQ(v2->name, "docker.io/library/app:latest");
}

TEST_F(OciLayoutTest, RefusesWhatIsNotALayoutOrHasNoName) {
  auto unnamed = import_oci_layout(*store_, layout_, ImportOptions{});
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.error().message().find("give the image a name"), std::string::npos);
  auto bad_name = import_oci_layout(*store_, layout_, ImportOptions{.name = "App"});
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.error().message().find("invalid reference \"App\": repository name must be lowercase"),
            std::string::npos);
  ASSERT_TRUE(write_file(layout_ + "/oci-layout", R"({"imageLayoutVersion":"2.0.0"})").ok());
  auto version = import_oci_layout(*store_, layout_, ImportOptions{.name = "app"});
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.error().message().find("imageLayoutVersion \"2.0.0\" is not 1.0.0"), std::string::npos);
  auto none = import_oci_layout(*store_, dir_.path("nowhere"), ImportOptions{.name = "app"});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), ENOENT);
  EXPECT_TRUE(store_->list_blobs()->empty());
}

TEST_F(OciLayoutTest, MissingLayerBlobRollsBackWhatWasIngested) {
  auto manifest = parse_manifest(*read_file(layout_ + "/blobs/sha256/" + manifest_.digest.hex()));
  ASSERT_TRUE(manifest.ok());
  ASSERT_EQ(::unlink((layout_ + "/blobs/sha256/" + manifest->layers[0].digest.hex()).c_str()), 0);
  auto record = import_oci_layout(*store_, layout_, ImportOptions{.name = "app"});
  ASSERT_FALSE(record.ok());
  EXPECT_NE(record.error().message().find(manifest->layers[0].digest.hex()), std::string::npos)
      << record.error().message();
  EXPECT_TRUE(store_->list_blobs()->empty()) << "manifest and config must be removed again";
  EXPECT_FALSE(load_image_record(*store_, "docker.io/library/app:latest").ok());
}

}  // namespace
}  // namespace berth::images
