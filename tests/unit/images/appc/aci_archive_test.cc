#include "images/appc/aci_archive.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <string>

#include "common/fd.h"
#include "common/file.h"
#include "tests/unit/support/tar_builder.h"

namespace berth::images::appc {
namespace {

using berth::testing::TarBuilder;

constexpr std::string_view kManifest = R"({"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "berth.test/x"})";

UniqueFd memory_file(const std::string& data) {
  UniqueFd fd(::memfd_create("aci", MFD_CLOEXEC));
  EXPECT_TRUE(write_all(fd.get(), data, "aci"));
  return fd;
}

std::string small_aci() {
  return TarBuilder().file("manifest", std::string(kManifest)).dir("rootfs/").file("rootfs/hello", "hi").finish();
}

TEST(AciArchive, IdIsTheSha512OfTheUncompressedTarWhateverTheCompression) {
  const std::string tar = small_aci();
  const Digest want = Digest::of(tar, DigestAlgorithm::kSha512);
  for (const std::string& file : {tar, testing::gzip(tar), testing::zstd(tar)}) {
    auto aci = inspect_aci(memory_file(file).get());
    ASSERT_TRUE(aci) << aci.error().message();
    EXPECT_EQ(aci->id, want);
    EXPECT_EQ(aci->diff_id, Digest::of(tar));
    EXPECT_EQ(aci->tar_bytes, tar.size());
    EXPECT_EQ(aci->manifest, kManifest);
  }
}

TEST(AciArchive, EntriesOutsideManifestAndRootfsAreCountedNotRefused) {
  std::string tar = TarBuilder().file("manifest", std::string(kManifest)).dir("rootfs/").file("README", "x").finish();
  auto aci = inspect_aci(memory_file(tar).get());
  ASSERT_TRUE(aci) << aci.error().message();
  EXPECT_EQ(aci->ignored_entries, 1U);
}

TEST(AciArchive, MalformedArchivesAreRefusedWithTheReason) {
  const std::string big(kMaxManifestBytes + 1, ' ');
  const std::pair<std::string, std::string> cases[] = {
      {TarBuilder().file("manifest", "{}").file("manifest", "{}").dir("rootfs/").finish(), "a second \"manifest\""},
      {TarBuilder().file("manifest", big).dir("rootfs/").finish(), "more than the 1048576 allowed"},
      {TarBuilder().file("manifest", "{}").finish(), "no \"rootfs/\""},
      {TarBuilder().file("manifest", "{}").file("rootfs", "not a dir").finish(), "must be a directory"},
      {TarBuilder().dir("manifest/").dir("rootfs/").finish(), "must be a regular file"},
      {TarBuilder().file("manifest", "{}").dir("rootfs/").file("/rootfs/abs", "x").finish(), "absolute path"},
      {TarBuilder().file("manifest", "{}").dir("rootfs/").symlink("rootfs/a/b", "../../..").finish(), "climbs out"},
      {small_aci().substr(0, 700), "ACI"},
  };
  for (const auto& [tar, expected] : cases) {
    auto aci = inspect_aci(memory_file(tar).get());
    ASSERT_FALSE(aci) << expected;
    EXPECT_NE(aci.error().message().find(expected), std::string::npos) << aci.error().message();
  }
}

TEST(AciArchive, UncompressedSizeIsBounded) {
  auto aci = inspect_aci(memory_file(testing::gzip(small_aci())).get(), AciLimits{.max_tar_bytes = 1024});
  ASSERT_FALSE(aci);
  EXPECT_EQ(aci.error().code(), EFBIG) << aci.error().message();
}

}  // namespace
}  // namespace berth::images::appc
