// UnpackPolicy::root_prefix: an AppC image's rootfs/ as the layer root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "common/file.h"
#include "images/unpack/layer_unpacker.h"
#include "tests/unit/support/tar_builder.h"
#include "tests/unit/support/temp_dir.h"
#include "tests/unit/support/unpack_policy.h"

namespace berth::images {
namespace {

using berth::testing::TarBuilder;

Result<UnpackResult> unpack_rootfs(const std::string& dir, const std::string& blob) {
  UnpackPolicy p = berth::testing::test_unpack_policy();
  p.root_prefix = "rootfs";
  UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno("open " + dir);
  StringSource src(blob);
  return unpack_layer(src, root.get(), p);
}

TEST(RootPrefix, EntriesBeneathThePrefixLandAtTheRootAndOthersAreSkipped) {
  TempDir tmp("berth-prefix-");
  std::string tar = TarBuilder()
                        .file("manifest", "{}")
                        .dir("rootfs/", {.mode = 0750})
                        .dir("rootfs/bin/")
                        .file("rootfs/bin/tool", "tool")
                        .hardlink("rootfs/bin/same", "rootfs/bin/tool")
                        .file("rootfsx/not-me", "x")
                        .file("extra", "x")
                        .finish();
  auto r = unpack_rootfs(tmp.path(), tar);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(read_file(tmp.path() + "/bin/tool").value(), "tool");
  EXPECT_EQ(read_file(tmp.path() + "/bin/same").value(), "tool");
  EXPECT_FALSE(path_exists(tmp.path() + "/manifest"));
  EXPECT_FALSE(path_exists(tmp.path() + "/extra"));
  EXPECT_FALSE(path_exists(tmp.path() + "/rootfs"));
  EXPECT_FALSE(path_exists(tmp.path() + "/x/not-me"));
  EXPECT_EQ(r->entries, 7U) << "skipped entries count against the entry limit too";
}

TEST(RootPrefix, HardLinkToAFileOutsideThePrefixIsRefused) {
  TempDir tmp("berth-prefix-");
  std::string tar = TarBuilder().file("manifest", "{}").dir("rootfs/").hardlink("rootfs/m", "manifest").finish();
  auto r = unpack_rootfs(tmp.path(), tar);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("outside the layer root rootfs/"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace berth::images
