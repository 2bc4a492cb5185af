#include "images/oci/descriptor.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace berth::images {
namespace {

TEST(Descriptor, LayerMediaTypesNameTheirCompression) {
  EXPECT_EQ(*layer_compression("application/vnd.oci.image.layer.v1.tar+zstd"), LayerCompression::kZstd);
  EXPECT_EQ(*layer_compression("application/vnd.docker.image.rootfs.diff.tar.gzip"), LayerCompression::kGzip);
  EXPECT_EQ(*layer_compression("application/vnd.oci.image.layer.v1.tar"), LayerCompression::kNone);
  EXPECT_EQ(*layer_compression("application/vnd.docker.image.rootfs.diff.tar"), LayerCompression::kNone);
  EXPECT_TRUE(is_layer_media_type("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"));
  auto config = layer_compression("application/vnd.oci.image.config.v1+json");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code(), ENOTSUP);
  EXPECT_FALSE(is_layer_media_type("application/vnd.oci.image.config.v1+json"));
}

TEST(Descriptor, CompressionNamesAreTheMediaTypeSuffixes) {
  EXPECT_EQ(compression_name(LayerCompression::kNone), "none");
  EXPECT_EQ(compression_name(LayerCompression::kGzip), "gzip");
  EXPECT_EQ(compression_name(LayerCompression::kZstd), "zstd");
}

}  // namespace
}  // namespace berth::images
