#include "images/export/tar_writer.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <string>
#include <vector>

#include "common/fd.h"
#include "common/file.h"
#include "images/unpack/layer_stream.h"
#include "images/unpack/tar_reader.h"

namespace berth::images {
namespace {

// What berth's own tar reader sees in the archive written to `fd`.
std::vector<TarEntry> read_back(int fd) {
  auto text = read_fd(fd);
  EXPECT_TRUE(text.ok()) << text.error().message();
  StringSource src(*text);
  TarReader reader(src, {});
  std::vector<TarEntry> out;
  for (;;) {
    auto e = reader.next();
    EXPECT_TRUE(e.ok()) << e.error().message();
    if (!e.ok() || !*e) return out;
    out.push_back(**e);
  }
}

TEST(TarWriter, LongNamesGoThroughPaxAndMetadataIsKept) {
  UniqueFd fd(::memfd_create("berth-tar-writer-test", MFD_CLOEXEC));
  ASSERT_TRUE(fd);
  const std::string deep = std::string(120, 'd');
  const std::string file = deep + "/" + std::string(80, 'f');
  TarWriter tar(fd.get(), "test archive");
  ASSERT_TRUE(tar.add_directory(deep, {.mode = 0710, .uid = 1000, .gid = 100, .mtime = 1700000000}).ok());
  auto size = tar.add_file(file, string_reader("payload"));
  ASSERT_TRUE(size.ok()) << size.error().message();
  EXPECT_EQ(*size, 7U);
  ASSERT_TRUE(tar.add_file("short", string_reader("")).ok());
  ASSERT_TRUE(tar.finish().ok());

  ASSERT_EQ(::lseek(fd.get(), 0, SEEK_SET), 0);
  std::vector<TarEntry> entries = read_back(fd.get());
  ASSERT_EQ(entries.size(), 3U);
  EXPECT_EQ(entries[0].path, deep + "/");
  EXPECT_EQ(entries[0].mode, 0710U);
  EXPECT_EQ(entries[0].uid, 1000U);
  EXPECT_EQ(entries[0].gid, 100U);
  EXPECT_EQ(entries[0].mtime_sec, 1700000000);
  EXPECT_EQ(entries[1].path, file);
  EXPECT_EQ(entries[1].mode, 0644U);
  EXPECT_EQ(entries[1].mtime_sec, 0) << "exports default to mtime 0: the same image, the same bytes";
  EXPECT_EQ(entries[2].path, "short");
}

TEST(TarWriter, EmptyNameIsRefusedNamingTheArchive) {
  UniqueFd fd(::memfd_create("berth-tar-writer-test", MFD_CLOEXEC));
  ASSERT_TRUE(fd);
  TarWriter tar(fd.get(), "test archive");
  auto added = tar.add_file("", string_reader("x"));
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message().find("test archive"), std::string::npos) << added.error().message();
}

}  // namespace
}  // namespace berth::images
