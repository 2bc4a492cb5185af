#include "images/import/tar_index.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::images {
namespace {

// Builds DIR/a.tar from files written under DIR/src with the system tar in `format`.
class TarIndexTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    ASSERT_TRUE(mkdir_p(dir_.path("src/sub")).ok());
    ASSERT_TRUE(write_file(dir_.path("src/manifest.json"), "[]").ok());
    ASSERT_TRUE(write_file(dir_.path("src/sub/layer.tar"), std::string(1500, 'L')).ok());
    ASSERT_TRUE(mkdir_p(dir_.path("src/" + dirname_of(long_name_))).ok());
    ASSERT_TRUE(write_file(dir_.path("src/" + long_name_), "long").ok());
    ASSERT_EQ(::symlink("../sub/layer.tar", dir_.path("src/sub/link.tar").c_str()), 0);
    std::string cmd = "cd " + dir_.path("src") + " && tar --format=" + GetParam() + " -cf ../a.tar manifest.json sub " +
                      dirname_of(long_name_);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto fd = open_path(dir_.path("a.tar"), O_RDONLY);
    ASSERT_TRUE(fd.ok());
    fd_ = std::move(fd).value();
  }

  std::string member_data(const TarMember& m) {
    std::string out(m.size, '\0');
    EXPECT_EQ(::pread(fd_.get(), out.data(), out.size(), static_cast<off_t>(m.offset)), static_cast<ssize_t>(m.size));
    return out;
  }

  TempDir dir_{"berth-tar-"};
  // Over the 100 bytes of a ustar name: a prefix for ustar, 'L' for gnu, a pax path for pax.
  std::string long_name_ = std::string(80, 'p') + "/" + std::string(60, 'n') + ".json";
  UniqueFd fd_;
};

TEST_P(TarIndexTest, ListsMembersWithTheirBytes) {
  auto tar = TarIndex::read(fd_.get(), "a.tar");
  ASSERT_TRUE(tar.ok()) << tar.error().message();
  auto manifest = tar->file("manifest.json");
  ASSERT_TRUE(manifest.ok()) << manifest.error().message();
  EXPECT_EQ(member_data(*manifest), "[]");
  auto layer = tar->file("./sub/layer.tar");
  ASSERT_TRUE(layer.ok()) << layer.error().message();
  EXPECT_EQ(member_data(*layer), std::string(1500, 'L'));
  auto long_member = tar->file(long_name_);
  ASSERT_TRUE(long_member.ok()) << long_member.error().message();
  EXPECT_EQ(member_data(*long_member), "long");
}

TEST_P(TarIndexTest, FollowsSymlinksInsideTheArchive) {
  auto tar = TarIndex::read(fd_.get(), "a.tar");
  ASSERT_TRUE(tar.ok()) << tar.error().message();
  auto linked = tar->file("sub/link.tar");
  ASSERT_TRUE(linked.ok()) << linked.error().message();
  EXPECT_EQ(linked->name, "sub/layer.tar");
  auto dir = tar->file("sub");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message(), "a.tar: member \"sub\" is not a regular file");
  auto missing = tar->file("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "a.tar: no member \"nope\"");
}

INSTANTIATE_TEST_SUITE_P(Formats, TarIndexTest, testing::Values("gnu", "pax", "ustar"));

TEST(TarIndex, NotATarIsRefused) {
  TempDir dir("berth-tar-");
  ASSERT_TRUE(write_file(dir.path("x"), std::string(1024, 'x')).ok());
  auto fd = open_path(dir.path("x"), O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto tar = TarIndex::read(fd->get(), "x");
  ASSERT_FALSE(tar.ok());
  EXPECT_EQ(tar.error().message(), "x: tar header at byte 0: bad checksum (not a tar archive?)");
}

}  // namespace
}  // namespace berth::images
