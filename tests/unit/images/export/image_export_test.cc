#include "images/export/image_export.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <string>

#include "common/file.h"
#include "images/import/docker_archive.h"
#include "images/import/image_import.h"
#include "images/import/oci_layout.h"
#include "images/import/tar_index.h"
#include "images/oci/manifest.h"
#include "tests/unit/support/content_store_fixture.h"
#include "tests/unit/support/tar_builder.h"

namespace berth::images {
namespace {

using testing::TarBuilder;

// A two-layer image made in the store by hand (a gzip layer and a zstd one), exported and
// read back by berth's own importers; the peers' view is in tests/integration.
class ImageExportTest : public testing::ContentStoreFixture {
 protected:
  ImageExportTest() : ContentStoreFixture("berth-export-") {}

  void SetUp() override {
    ContentStoreFixture::SetUp();
    if (HasFatalFailure()) return;
    image_ = make_image("example/app:1", "hello");
  }

  // Stores a config, two layers and a manifest; returns the saved record named `name`.
  ImageRecord make_image(const std::string& name, const std::string& greeting) {
    std::string lower = TarBuilder().dir("etc/").file("etc/greeting", greeting).finish();
    std::string upper = TarBuilder().file("etc/.wh.greeting", "").file("app", "#!/bin/sh\n", {.mode = 0755}).finish();
    Descriptor l0 = put(testing::gzip(lower), media_type::kOciLayerGzip);
    Descriptor l1 = put(testing::zstd(upper), media_type::kOciLayerZstd);
    std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
                         Digest::of(lower).str() + R"(",")" + Digest::of(upper).str() + R"("]}})";
    Manifest m{.media_type = std::string(media_type::kOciManifest),
               .config = put(config, media_type::kOciConfig),
               .layers = {l0, l1}};
    Descriptor manifest = put(manifest_to_json(m), media_type::kOciManifest);
    auto full = normalised_name(name);
    EXPECT_TRUE(full.ok());
    auto record = record_for_manifest(*store_, manifest, *full);
    EXPECT_TRUE(record.ok()) << record.error().message();
    EXPECT_TRUE(save_image_record(*store_, *record).ok());
    return *record;
  }

  Descriptor put(const std::string& data, std::string_view type) {
    auto d = store_->put(data);
    EXPECT_TRUE(d.ok());
    return Descriptor{.media_type = std::string(type), .digest = *d, .size = data.size()};
  }

  // A second, empty store to import into.
  ContentStore other_store() {
    auto s = ContentStore::open(dir_.path("other"));
    EXPECT_TRUE(s.ok());
    return std::move(s).value();
  }

  // Names in the export's directory: nothing but the target may be there.
  std::set<std::string> out_dir_names() {
    auto names = list_dir(dir_.path("out"));
    return names.ok() ? std::set<std::string>(names->begin(), names->end()) : std::set<std::string>{};
  }

  ImageRecord image_;
};

TEST_F(ImageExportTest, DockerArchiveImportsBackWithTheSameConfigAndDiffIds) {
  ASSERT_TRUE(mkdir_p(dir_.path("out")));
  std::string archive = dir_.path("out/app.tar");
  auto st = export_docker_archive(*store_, {image_}, archive);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(out_dir_names(), std::set<std::string>{"app.tar"});

  // The layers are uncompressed: each member is named by, and hashes to, its diff_id.
  auto fd = open_path(archive, O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto tar = TarIndex::read(fd->get(), archive);
  ASSERT_TRUE(tar.ok()) << tar.error().message();
  std::set<std::string> names;
  for (const auto& [name, member] : tar->members()) names.insert(name);
  std::set<std::string> want = {"manifest.json", "repositories", image_.config_digest.hex() + ".json",
                                image_.layers[0].diff_id.hex() + ".tar", image_.layers[1].diff_id.hex() + ".tar"};
  EXPECT_EQ(names, want);
  auto repositories = read_file(archive);  // small: the layers are a few blocks
  ASSERT_TRUE(repositories.ok());
  EXPECT_NE(repositories->find(R"({"docker.io/example/app":{"1":")" + image_.layers[1].chain_id.hex() + "\"}}"),
            std::string::npos);

  ContentStore other = other_store();
  auto records = import_docker_archive(other, archive, ImportOptions{});
  ASSERT_TRUE(records.ok()) << records.error().message();
  ASSERT_EQ(records->size(), 1U);
  const ImageRecord& back = records->front();
  EXPECT_EQ(back.name, "docker.io/example/app:1");
  EXPECT_EQ(back.config_digest, image_.config_digest);
  ASSERT_EQ(back.layers.size(), 2U);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.layers[i].diff_id, image_.layers[i].diff_id);
    EXPECT_EQ(back.layers[i].digest, image_.layers[i].diff_id) << "uncompressed: the blob is the diff";
    EXPECT_EQ(back.layers[i].chain_id, image_.layers[i].chain_id);
  }
}

TEST_F(ImageExportTest, TwoNamesOfOneImageShareOneArchiveEntry) {
  ImageRecord latest = image_;
  latest.name = "docker.io/example/app:latest";
  ImageRecord other = make_image("docker.io/library/other:2", "bye");
  std::string archive = dir_.path("two.tar");
  ASSERT_TRUE(export_docker_archive(*store_, {image_, latest, other}, archive).ok());
  ContentStore back_store = other_store();
  auto records = import_docker_archive(back_store, archive, ImportOptions{});
  ASSERT_TRUE(records.ok()) << records.error().message();
  std::set<std::string> names;
  for (const ImageRecord& r : *records) names.insert(r.name);
  EXPECT_EQ(names, (std::set<std::string>{"docker.io/example/app:1", "docker.io/example/app:latest",
                                          "docker.io/library/other:2"}));
}

TEST_F(ImageExportTest, OciLayoutDirectoryAndTarKeepTheStoredBlobs) {
  std::string layout = dir_.path("layout");
  auto st = export_oci_layout(*store_, {image_}, layout, OciLayoutForm::kDirectory);
  ASSERT_TRUE(st.ok()) << st.error().message();
  auto index_text = read_file(layout + "/index.json");
  ASSERT_TRUE(index_text.ok());
  auto index = parse_index(*index_text);
  ASSERT_TRUE(index.ok()) << index.error().message();
  ASSERT_EQ(index->manifests.size(), 1U);
  EXPECT_EQ(index->manifests[0].digest, image_.manifest_digest);
  EXPECT_EQ(index->manifests[0].annotations.at("org.opencontainers.image.ref.name"), "1");
  ASSERT_TRUE(index->manifests[0].platform.has_value());
  EXPECT_EQ(index->manifests[0].platform->str(), "linux/amd64");
  EXPECT_EQ(list_dir(layout + "/blobs/sha256")->size(), 4U);

  ContentStore other = other_store();
  auto back = import_oci_layout(other, layout, ImportOptions{.name = "copy", .ref = "1"});
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->manifest_digest, image_.manifest_digest);
  EXPECT_EQ(back->layers[1].digest, image_.layers[1].digest) << "blobs are exported as stored (zstd here)";

  // The tar form holds the same files.
  std::string tar_path = dir_.path("layout.tar");
  ASSERT_TRUE(export_oci_layout(*store_, {image_}, tar_path, OciLayoutForm::kTar).ok());
  auto fd = open_path(tar_path, O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto tar = TarIndex::read(fd->get(), tar_path);
  ASSERT_TRUE(tar.ok()) << tar.error().message();
  auto member = tar->file("blobs/sha256/" + image_.layers[0].digest.hex());
  ASSERT_TRUE(member.ok()) << member.error().message();
  EXPECT_EQ(member->size, image_.layers[0].size);
  auto index_member = tar->file("index.json");
  ASSERT_TRUE(index_member.ok());
  EXPECT_EQ(index_member->size, index_text->size());
  EXPECT_TRUE(tar->file("oci-layout").ok());
  // And berth's own importer takes the tar form back (as an oci-archive).
  ContentStore third = ContentStore::open(dir_.path("third")).value();
  auto from_tar = import_oci_layout(third, tar_path, ImportOptions{.name = "copy", .ref = "1"});
  ASSERT_TRUE(from_tar.ok()) << from_tar.error().message();
  EXPECT_EQ(from_tar->manifest_digest, image_.manifest_digest);
}

TEST_F(ImageExportTest, CorruptedStoreBlobFailsTheExportAndLeavesNothing) {
  ASSERT_TRUE(mkdir_p(dir_.path("out")));
  // Flip a byte of the zstd layer in the store (blobs are read-only: replace the file).
  std::string blob = store_->blob_path(image_.layers[1].digest);
  auto bytes = read_file(blob);
  ASSERT_TRUE(bytes.ok());
  std::string bad = *bytes;
  bad.back() = static_cast<char>(bad.back() ^ 0x40);
  ASSERT_EQ(::unlink(blob.c_str()), 0);
  ASSERT_TRUE(write_file(blob, bad).ok());

  auto oci = export_oci_layout(*store_, {image_}, dir_.path("out/layout"), OciLayoutForm::kDirectory);
  ASSERT_FALSE(oci.ok());
  EXPECT_NE(oci.error().message().find("in the store now hashes to"), std::string::npos) << oci.error().message();
  auto tar = export_oci_layout(*store_, {image_}, dir_.path("out/layout.tar"), OciLayoutForm::kTar);
  ASSERT_FALSE(tar.ok());
  auto archive = export_docker_archive(*store_, {image_}, dir_.path("out/app.tar"));
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(out_dir_names(), std::set<std::string>{}) << "no target, no temp file";
}

TEST_F(ImageExportTest, OciLayoutRefusesTwoImagesWithOneTagAndANonEmptyTarget) {
  ImageRecord other = make_image("other:1", "bye");
  auto st = export_oci_layout(*store_, {image_, other}, dir_.path("layout"), OciLayoutForm::kDirectory);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("share the tag \"1\""), std::string::npos) << st.error().message();
  EXPECT_FALSE(path_exists(dir_.path("layout")));

  ASSERT_TRUE(mkdir_p(dir_.path("full")));
  ASSERT_TRUE(write_file(dir_.path("full/keep"), "x").ok());
  st = export_oci_layout(*store_, {image_}, dir_.path("full"), OciLayoutForm::kDirectory);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("exists and is not empty"), std::string::npos) << st.error().message();
  EXPECT_EQ(read_file(dir_.path("full/keep")).value(), "x");
}

}  // namespace
}  // namespace berth::images
