#include "images/unpack/layer_unpacker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "common/file.h"
#include "images/digest/digest.h"
#include "tests/unit/support/tar_builder.h"
#include "tests/unit/support/temp_dir.h"
#include "tests/unit/support/unpack_policy.h"

namespace berth::images {
namespace {

using berth::testing::TarBuilder;
using berth::testing::test_unpack_policy;

Result<UnpackResult> unpack_into(const std::string& dir, const std::string& blob, const UnpackPolicy& p) {
  UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno("open " + dir);
  StringSource src(blob);
  return unpack_layer(src, root.get(), p);
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st;
}

std::string link_of(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

TEST(LayerUnpacker, WritesFilesDirectoriesLinksModesAndTimes) {
  TempDir tmp("berth-unpack-");
  std::string tar = TarBuilder()
                        .dir("usr/", {.mode = 0751, .mtime = 1111})
                        .dir("usr/bin/", {.mode = 0755, .mtime = 2222})
                        .file("usr/bin/tool", "#!/bin/sh\n", {.mode = 0755, .uid = 12, .gid = 34, .mtime = 3333})
                        .symlink("usr/bin/alias", "tool")
                        .hardlink("usr/bin/same", "usr/bin/tool")
                        .file("deep/implicit/parent", "x")
                        .finish();
  auto r = unpack_into(tmp.path(), testing::gzip(tar), test_unpack_policy());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->entries, 6U);
  EXPECT_EQ(r->compression, LayerCompression::kGzip);
  EXPECT_EQ(r->uncompressed_bytes, tar.size());
  auto tool = lstat_of(tmp.path("usr/bin/tool"));
  EXPECT_TRUE(S_ISREG(tool.st_mode));
  EXPECT_EQ(tool.st_mode & 07777, 0755U);
  EXPECT_EQ(tool.st_mtim.tv_sec, 3333);
  EXPECT_EQ(tool.st_nlink, 2U);
  if (::geteuid() == 0) {
    EXPECT_EQ(tool.st_uid, 12U);
    EXPECT_EQ(tool.st_gid, 34U);
  }
  EXPECT_EQ(*read_file(tmp.path("usr/bin/tool")), "#!/bin/sh\n");
  EXPECT_EQ(link_of(tmp.path("usr/bin/alias")), "tool");
  EXPECT_EQ(lstat_of(tmp.path("usr/bin/same")).st_ino, tool.st_ino);
  // Directory times are set after their contents were written.
  EXPECT_EQ(lstat_of(tmp.path("usr")).st_mtim.tv_sec, 1111);
  EXPECT_EQ(lstat_of(tmp.path("usr/bin")).st_mtim.tv_sec, 2222);
  EXPECT_EQ(lstat_of(tmp.path("usr")).st_mode & 07777, 0751U);
  EXPECT_EQ(*read_file(tmp.path("deep/implicit/parent")), "x");
}

TEST(LayerUnpacker, DiffIdIsReturnedForTheCallerToVerify) {
  TempDir tmp("berth-unpack-");
  std::string tar = TarBuilder().file("a", "b").finish() + std::string(4096, '\0');  // padding counts
  auto r = unpack_into(tmp.path(), testing::zstd(tar), test_unpack_policy());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->diff_id, Digest::of(tar).str());
  EXPECT_EQ(r->compression, LayerCompression::kZstd);
}

TEST(LayerUnpacker, SetidBitsFollowThePolicy) {
  std::string tar = TarBuilder().file("su", "x", {.mode = 06755}).dir("shared/", {.mode = 02775}).finish();
  TempDir keep("berth-unpack-");
  ASSERT_TRUE(unpack_into(keep.path(), tar, test_unpack_policy()));
  EXPECT_EQ(lstat_of(keep.path("su")).st_mode & 07777, 06755U);
  TempDir strip("berth-unpack-");
  UnpackPolicy p = test_unpack_policy();
  p.allow_setid = false;
  ASSERT_TRUE(unpack_into(strip.path(), tar, p));
  EXPECT_EQ(lstat_of(strip.path("su")).st_mode & 07777, 0755U);
  EXPECT_EQ(lstat_of(strip.path("shared")).st_mode & 07777, 02775U);  // setgid dirs only pass on the group
}

TEST(LayerUnpacker, LaterEntriesReplaceEarlierOnesOfAnotherKind) {
  TempDir tmp("berth-unpack-");
  std::string lower = TarBuilder().dir("x/").file("x/inner", "1").file("y", "2").symlink("z", "y").finish();
  ASSERT_TRUE(unpack_into(tmp.path(), lower, test_unpack_policy()));
  std::string upper = TarBuilder().file("x", "now a file").dir("y/").file("z", "not a link").finish();
  auto r = unpack_into(tmp.path(), upper, test_unpack_policy());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*read_file(tmp.path("x")), "now a file");
  EXPECT_TRUE(S_ISDIR(lstat_of(tmp.path("y")).st_mode));
  EXPECT_TRUE(S_ISREG(lstat_of(tmp.path("z")).st_mode));
}

TEST(LayerUnpacker, ApplyModeWhiteoutsDeleteLowerEntriesAndOpaqueDirsHideThem) {
  TempDir tmp("berth-unpack-");
  std::string lower =
      TarBuilder().file("gone", "1").dir("dir/").file("dir/old", "2").dir("opq/").file("opq/old", "3").finish();
  ASSERT_TRUE(unpack_into(tmp.path(), lower, test_unpack_policy()));
  // The opaque marker comes after this layer's own entry in the directory: it must survive.
  std::string upper = TarBuilder()
                          .file(".wh.gone", "")
                          .file("dir/.wh.old", "")
                          .file("opq/new", "4")
                          .file("opq/.wh..wh..opq", "")
                          .file("nothere/.wh.x", "")
                          .finish();
  auto r = unpack_into(tmp.path(), upper, test_unpack_policy());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(path_exists(tmp.path("gone")));
  EXPECT_FALSE(path_exists(tmp.path("dir/old")));
  EXPECT_TRUE(path_exists(tmp.path("dir")));
  EXPECT_FALSE(path_exists(tmp.path("opq/old")));
  EXPECT_EQ(*read_file(tmp.path("opq/new")), "4");
  EXPECT_FALSE(path_exists(tmp.path(".wh.gone")));
  EXPECT_FALSE(path_exists(tmp.path("nothere")));
}

TEST(LayerUnpacker, OverlayModeWritesOverlayfsWhiteouts) {
  if (::geteuid() != 0) GTEST_SKIP() << "overlay whiteouts need CAP_MKNOD and CAP_SYS_ADMIN (trusted.* xattrs)";
  TempDir tmp("berth-unpack-");
  UnpackPolicy p = test_unpack_policy();
  p.whiteouts = WhiteoutMode::kOverlay;
  std::string tar = TarBuilder().file(".wh.gone", "").file("opq/.wh..wh..opq", "").file("opq/new", "n").finish();
  auto r = unpack_into(tmp.path(), tar, p);
  ASSERT_TRUE(r) << r.error().message();
  auto wh = lstat_of(tmp.path("gone"));
  EXPECT_TRUE(S_ISCHR(wh.st_mode));
  EXPECT_EQ(wh.st_rdev, makedev(0, 0));
  char v[4] = {};
  ASSERT_EQ(::lgetxattr(tmp.path("opq").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_EQ(*read_file(tmp.path("opq/new")), "n");
}

TEST(LayerUnpacker, DeviceNodesFollowThePolicy) {
  std::string tar = TarBuilder()
                        .header('3', "dev/null", 0, {.mode = 0666, .major = 1, .minor = 3})
                        .header('6', "dev/fifo", 0, {.mode = 0600})
                        .file("after", "ok")
                        .finish();
  TempDir skipped("berth-unpack-");
  UnpackPolicy p = test_unpack_policy();
  p.devices = DeviceNodes::kSkip;
  ASSERT_TRUE(unpack_into(skipped.path(), tar, p));
  EXPECT_FALSE(path_exists(skipped.path("dev/null")));
  EXPECT_TRUE(path_exists(skipped.path("after")));
  if (::geteuid() != 0) return;
  TempDir created("berth-unpack-");
  p.devices = DeviceNodes::kCreate;
  auto r = unpack_into(created.path(), tar, p);
  ASSERT_TRUE(r) << r.error().message();
  auto null = lstat_of(created.path("dev/null"));
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  EXPECT_EQ(null.st_mode & 07777, 0666U);
  EXPECT_TRUE(S_ISFIFO(lstat_of(created.path("dev/fifo")).st_mode));
}

TEST(LayerUnpacker, XattrsAndFileCapabilitiesSurvive) {
  if (::geteuid() != 0) GTEST_SKIP() << "security.capability needs CAP_SETFCAP";
  TempDir tmp("berth-unpack-");
  // VFS_CAP_REVISION_2, effective, cap_net_bind_service (10) permitted.
  std::string cap("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  std::string tar = TarBuilder()
                        .pax({{"SCHILY.xattr.security.capability", cap}, {"SCHILY.xattr.user.origin", "layer"}})
                        .file("bin/ping", "elf", {.mode = 0755, .uid = 5, .gid = 5})
                        .finish();
  auto r = unpack_into(tmp.path(), tar, test_unpack_policy());
  ASSERT_TRUE(r) << r.error().message();
  char buf[64];
  ssize_t n = ::getxattr(tmp.path("bin/ping").c_str(), "security.capability", buf, sizeof buf);
  ASSERT_EQ(n, 20);
  EXPECT_EQ(std::string(buf, 20), cap);  // set after chown, which would have cleared it
  n = ::getxattr(tmp.path("bin/ping").c_str(), "user.origin", buf, sizeof buf);
  ASSERT_EQ(n, 5);
  EXPECT_EQ(std::string(buf, 5), "layer");
}

TEST(LayerUnpacker, TooManyEntriesStopAtThePolicyLimit) {
  TempDir tmp("berth-unpack-");
  TarBuilder b;
  for (int i = 0; i < 20; ++i) b.file("f" + std::to_string(i), "");
  UnpackPolicy p = test_unpack_policy();
  p.max_entries = 10;
  auto r = unpack_into(tmp.path(), b.finish(), p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("more than 10 entries"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace berth::images
