// Layers built to escape the directory they are unpacked into. Each must fail with an error
// naming the entry, or (absolute symlinks, which mean the container's own root) land inside
// the root; nothing next to the root may change.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/file.h"
#include "images/unpack/layer_unpacker.h"
#include "tests/unit/support/tar_builder.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::images {
namespace {

using berth::testing::TarBuilder;

// base/root is unpacked into; base/sentinel holds a file that no layer may touch.
class HostileLayer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(base_.path().empty());
    ASSERT_TRUE(mkdir_p(root()));
    ASSERT_TRUE(mkdir_p(sentinel()));
    ASSERT_TRUE(write_file(sentinel() + "/keep", "host data", 0644));
  }
  void TearDown() override {
    // The sentinel is exactly as it was, and nothing new appeared beside the root.
    auto names = list_dir(sentinel());
    ASSERT_TRUE(names);
    EXPECT_EQ(*names, std::vector<std::string>{"keep"});
    EXPECT_EQ(*read_file(sentinel() + "/keep"), "host data");
    struct stat st {};
    ASSERT_EQ(::stat((sentinel() + "/keep").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1U);
    EXPECT_EQ(st.st_mode & 07777, 0644U);
    auto beside = list_dir(base_.path());
    ASSERT_TRUE(beside);
    EXPECT_EQ(beside->size(), 2U);
  }

  std::string root() const { return base_.path("root"); }
  std::string sentinel() const { return base_.path("sentinel"); }

  Result<UnpackResult> unpack(const std::string& blob, UnpackPolicy p = {}) {
    p.preserve_owners = ::geteuid() == 0;
    UniqueFd fd(::open(root().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    StringSource src(blob);
    return unpack_layer(src, fd.get(), p);
  }

  static void expect_error(const Result<UnpackResult>& r, const std::string& entry, const std::string& why) {
    ASSERT_FALSE(r) << "the layer was unpacked";
    EXPECT_NE(r.error().message().find("\"" + entry + "\""), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find(why), std::string::npos) << r.error().message();
  }

  TempDir base_{"berth-hostile-"};
};

TEST_F(HostileLayer, DotDotPathIsRefused) {
  expect_error(unpack(TarBuilder().file("../../x", "evil").finish()), "../../x", "would leave the layer root");
  expect_error(unpack(TarBuilder().file("a/../../sentinel/keep", "evil").finish()), "a/../../sentinel/keep",
               "would leave the layer root");
}

TEST_F(HostileLayer, AbsolutePathIsRefused) {
  std::string target = sentinel() + "/abs";
  expect_error(unpack(TarBuilder().file(target, "evil").finish()), target, "absolute path");
}

TEST_F(HostileLayer, PaxPathWithDotDotIsRefused) {
  auto r = unpack(TarBuilder().pax({{"path", "../sentinel/keep"}}).file("innocent", "evil").finish());
  expect_error(r, "../sentinel/keep", "would leave the layer root");
}

TEST_F(HostileLayer, AbsoluteSymlinkIsResolvedInsideTheRootWhenWrittenThrough) {
  // "escape" -> the sentinel's host path; "escape/pwned" lands at root/<that path>/pwned.
  auto r = unpack(TarBuilder().symlink("escape", sentinel()).file("escape/pwned", "evil").finish());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*read_file(root() + sentinel() + "/pwned"), "evil");
}

TEST_F(HostileLayer, RelativeSymlinkClimbingOutOfTheRootIsRefused) {
  expect_error(unpack(TarBuilder().symlink("up", "../../../../sentinel").file("up/pwned", "evil").finish()), "up",
               "climbs out of the layer root");
  expect_error(unpack(TarBuilder().symlink("a/b/c", "../../../sentinel").finish()), "a/b/c",
               "climbs out of the layer root");
  // Climbing back to the root itself, or below it again, is an ordinary link.
  auto r = unpack(TarBuilder().symlink("usr/lib/x", "../../lib/x").symlink("y", "a/../b").finish());
  ASSERT_TRUE(r) << r.error().message();
}

TEST_F(HostileLayer, FileOverASymlinkReplacesTheLinkNotItsTarget) {
  auto r = unpack(TarBuilder()
                      .symlink("f", "sentinel/keep")
                      .file("f", "evil", {.mode = 0777})
                      .symlink("d", sentinel())
                      .dir("d/", {.mode = 0777})
                      .finish());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*read_file(root() + "/f"), "evil");
  struct stat st {};
  ASSERT_EQ(::lstat((root() + "/d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(HostileLayer, HardLinkToAHostFileIsRefused) {
  expect_error(unpack(TarBuilder().hardlink("passwd", "/etc/passwd").finish()), "passwd", "absolute path");
  expect_error(unpack(TarBuilder().hardlink("keep", "../sentinel/keep").finish()), "keep",
               "would leave the layer root");
}

TEST_F(HostileLayer, HardLinkThroughASymlinkStaysInsideTheRoot) {
  // "s" -> the sentinel's host path, resolved in the root where there is no such file.
  auto r = unpack(TarBuilder().symlink("s", sentinel()).hardlink("h", "s/keep").finish());
  expect_error(r, "h", "No such file");
}

TEST_F(HostileLayer, WhiteoutOfDotDotIsRefused) {
  expect_error(unpack(TarBuilder().file("../.wh.x", "").finish()), "../.wh.x", "would leave the layer root");
  expect_error(unpack(TarBuilder().dir("a/").file("a/.wh...", "").finish()), "a/.wh...", "whiteout of \"..\"");
}

TEST_F(HostileLayer, WhiteoutThroughASymlinkOnlyDeletesInsideTheRoot) {
  auto r = unpack(TarBuilder().symlink("s", sentinel()).file("s/.wh.keep", "").finish());
  ASSERT_TRUE(r) << r.error().message();
  auto o = unpack(TarBuilder().symlink("t", sentinel()).file("t/.wh..wh..opq", "").finish());
  ASSERT_TRUE(o) << o.error().message();
}

TEST_F(HostileLayer, LayerCannotSetOverlayfsXattrsOfItsOwn) {
  if (::geteuid() != 0) GTEST_SKIP() << "trusted.* xattrs need CAP_SYS_ADMIN";
  auto r = unpack(TarBuilder()
                      .pax({{"SCHILY.xattr.trusted.overlay.redirect", "/etc"}, {"SCHILY.xattr.user.ok", "1"}})
                      .dir("d/")
                      .finish());
  ASSERT_TRUE(r) << r.error().message();
  char buf[16];
  EXPECT_LT(::lgetxattr((root() + "/d").c_str(), "trusted.overlay.redirect", buf, sizeof buf), 0);
  EXPECT_EQ(::lgetxattr((root() + "/d").c_str(), "user.ok", buf, sizeof buf), 1);
}

TEST_F(HostileLayer, DeviceNodeIsRefusedWhenThePolicyForbidsIt) {
  std::string tar = TarBuilder().header('4', "dev/sda", 0, {.mode = 0666, .major = 8, .minor = 0}).finish();
  expect_error(unpack(tar), "dev/sda", "refused by the unpack policy");
  EXPECT_FALSE(path_exists(root() + "/dev/sda"));
}

TEST_F(HostileLayer, HugePaxHeaderIsRefused) {
  UnpackPolicy p;
  p.max_header_bytes = uint64_t{64} * 1024;
  auto r = unpack(testing::gzip(TarBuilder()
                                    .file("first", "ok")
                                    .pax({{"SCHILY.xattr.user.big", std::string(1 << 20, 'x')}})
                                    .file("second", "")
                                    .finish()),
                  p);
  expect_error(r, "first", "over the limit");
}

TEST_F(HostileLayer, TruncatedStreamIsAnErrorNamingTheEntry) {
  std::string tar = TarBuilder().file("big", std::string(10000, 'b')).finish();
  auto r = unpack(testing::gzip(tar.substr(0, 5000)));
  expect_error(r, "big", "truncated");
  auto z = unpack(testing::zstd(tar).substr(0, 40));
  ASSERT_FALSE(z);
  EXPECT_NE(z.error().message().find("truncated"), std::string::npos) << z.error().message();
}

TEST_F(HostileLayer, DecompressionBombStopsAtTheLimit) {
  std::string bomb = testing::gzip_bomb("zeros", 1024);  // 1 GiB of zeros, about 1 MiB gzip'd
  UnpackPolicy p;
  p.max_unpacked_bytes = 16 << 20;
  auto r = unpack(bomb, p);
  expect_error(r, "zeros", "larger than the limit of 16777216 bytes");
  struct stat st {};
  ASSERT_EQ(::stat((root() + "/zeros").c_str(), &st), 0);
  EXPECT_LE(st.st_size, 16 << 20);
}

TEST_F(HostileLayer, SparseFileLargerThanTheLimitIsRefused) {
  // One byte of data at the end of a 1 TiB file: almost nothing on disk, but a copy of it
  // would be a terabyte.
  std::string tb = std::to_string(uint64_t{1} << 40);
  std::string layer = testing::TarBuilder()
                          .pax({{"GNU.sparse.major", "0"},
                                {"GNU.sparse.minor", "1"},
                                {"GNU.sparse.size", tb},
                                {"GNU.sparse.map", std::to_string((uint64_t{1} << 40) - 1) + ",1"}})
                          .file("huge", "x")
                          .finish();
  UnpackPolicy p;
  p.max_unpacked_bytes = 1 << 30;
  expect_error(unpack(layer, p), "huge", "sparse file of " + tb + " bytes is larger than the limit of 1073741824");
  EXPECT_FALSE(path_exists(root() + "/huge"));
}

}  // namespace
}  // namespace berth::images
