#include "images/unpack/layer_stream.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "images/digest/digest.h"
#include "tests/unit/support/busybox_layer.h"
#include "tests/unit/support/tar_builder.h"

namespace berth::images {
namespace {

using berth::testing::TarBuilder;

Result<std::string> read_all(LayerStream& s) {
  std::string out;
  char buf[1000];
  for (;;) {
    BERTH_ASSIGN(size_t n, s.read(buf, sizeof buf));
    if (n == 0) return out;
    out.append(buf, n);
  }
}

std::string sample_tar() {
  return TarBuilder().dir("d/").file("d/f", std::string(100000, 'q')).symlink("d/s", "f").finish();
}

TEST(LayerStream, GzipLayerIsDetectedAndDecompressed) {
  StringSource src(testing::gzip(sample_tar()));
  LayerStream s(src, 1 << 30);
  auto out = read_all(s);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, sample_tar());
  EXPECT_EQ(s.compression(), LayerCompression::kGzip);
}

TEST(LayerStream, ConcatenatedGzipMembersAreOneStream) {
  std::string tar = sample_tar();
  StringSource src(testing::gzip(tar.substr(0, 700)) + testing::gzip(tar.substr(700)));
  LayerStream s(src, 1 << 30);
  auto out = read_all(s);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, tar);
}

TEST(LayerStream, ZstdLayerIsDetectedAndDecompressed) {
  StringSource src(testing::zstd(sample_tar()));
  LayerStream s(src, 1 << 30);
  auto out = read_all(s);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, sample_tar());
  EXPECT_EQ(s.compression(), LayerCompression::kZstd);
}

TEST(LayerStream, UncompressedTarPassesThrough) {
  StringSource src(sample_tar());
  LayerStream s(src, 1 << 30);
  auto out = read_all(s);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, sample_tar());
  EXPECT_EQ(s.compression(), LayerCompression::kNone);
}

TEST(LayerStream, TruncatedGzipIsAnError) {
  std::string gz = testing::gzip(sample_tar());
  StringSource src(gz.substr(0, gz.size() - 10));
  LayerStream s(src, 1 << 30);
  auto out = read_all(s);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message().find("gzip stream is truncated"), std::string::npos) << out.error().message();
}

TEST(LayerStream, TruncatedZstdIsAnError) {
  std::string zs = testing::zstd(sample_tar());
  StringSource src(zs.substr(0, zs.size() - 5));
  LayerStream s(src, 1 << 30);
  auto out = read_all(s);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message().find("zstd stream is truncated"), std::string::npos) << out.error().message();
}

TEST(LayerStream, CorruptGzipIsAnError) {
  std::string gz = testing::gzip(sample_tar());
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
  StringSource src(gz);
  LayerStream s(src, 1 << 30);
  EXPECT_FALSE(read_all(s));
}

TEST(LayerStream, UncompressedSizeLimitStopsABomb) {
  StringSource src(testing::gzip(std::string(10 << 20, '\0')));
  LayerStream s(src, 1 << 20);
  auto out = read_all(s);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), EFBIG);
  EXPECT_NE(out.error().message().find("larger than the limit of 1048576 bytes"), std::string::npos)
      << out.error().message();
}

TEST(LayerStream, NoLimitMeansTheWholeStream) {
  StringSource src(testing::gzip(sample_tar()));
  LayerStream s(src, UINT64_MAX);
  auto out = read_all(s);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out, sample_tar());
}

TEST(LayerStream, DiffIdIsTheSha256OfTheUncompressedTar) {
  std::string tar = sample_tar();
  StringSource src(testing::zstd(tar));
  LayerStream s(src, 1 << 30);
  char buf[100];
  ASSERT_TRUE(s.read(buf, sizeof buf));  // finish() reads the rest
  auto id = s.finish();
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(*id, Digest::of(tar).str());
}

TEST(LayerStream, DiffIdOfTheBusyboxLayerEqualsSha256sumOfItsTar) {
  std::string layer = testing::busybox_layer(BERTH_SOURCE_DIR);
  if (layer.empty()) GTEST_SKIP() << "the busybox fixture could not be built (busybox-static installed?)";
  std::string want = testing::shell("gzip -dc " + layer + " | sha256sum");
  ASSERT_GE(want.size(), 64U);
  FILE* f = std::fopen(layer.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  FdSource blob(fileno(f));
  LayerStream s(blob, 1ULL << 32);
  auto id = s.finish();
  std::fclose(f);
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(*id, "sha256:" + want.substr(0, 64));
}

}  // namespace
}  // namespace berth::images
