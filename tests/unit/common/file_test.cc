#include "common/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "tests/unit/support/temp_dir.h"

namespace berth {
namespace {

// A private temporary directory for one test, removed afterwards.
class FileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }
  [[nodiscard]] std::string path(std::string_view name) const { return tmp_.path(name); }

  TempDir tmp_{"berth-file-test-"};
  const std::string dir_ = tmp_.path();
};

TEST_F(FileTest, WrittenFileReadsBack) {
  std::string p = path("a.txt");
  ASSERT_TRUE(write_file(p, "hello\n").ok());
  EXPECT_EQ(read_file(p).value(), "hello\n");
  ASSERT_TRUE(write_file(p, "x").ok());
  EXPECT_EQ(read_file(p).value(), "x") << "write_file truncates";
}

TEST_F(FileTest, LargeFileReadsBackWhole) {
  std::string big(200000, 'q');
  big[12345] = '\0';
  ASSERT_TRUE(write_file(path("big"), big).ok());
  EXPECT_EQ(read_file(path("big")).value(), big);
}

TEST_F(FileTest, WriteFileUsesTheGivenMode) {
  ::umask(022);
  ASSERT_TRUE(write_file(path("secret"), "s", 0600).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path("secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileTest, MissingFileErrorNamesThePathAndErrno) {
  auto r = read_file(path("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "open " + path("nope") + ": No such file or directory");
}

TEST_F(FileTest, WriteExistingDoesNotCreate) {
  auto st = write_existing(path("cgroup.procs"), "1");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ENOENT);
  EXPECT_FALSE(path_exists(path("cgroup.procs")));
  ASSERT_TRUE(write_file(path("cgroup.procs"), "old value").ok());
  ASSERT_TRUE(write_existing(path("cgroup.procs"), "1").ok());
  EXPECT_EQ(read_file(path("cgroup.procs")).value(), "1ld value") << "kernel files are not truncated";
}

TEST_F(FileTest, AtomicWriteReplacesAndLeavesNoTempFile) {
  std::string p = path("state.json");
  ASSERT_TRUE(write_file(p, "old").ok());
  ASSERT_TRUE(write_file_atomic(p, "{\"new\":true}").ok());
  EXPECT_EQ(read_file(p).value(), "{\"new\":true}");
  EXPECT_EQ(list_dir(dir_).value(), std::vector<std::string>{"state.json"});
}

TEST_F(FileTest, AtomicWriteIntoMissingDirectoryFails) {
  auto st = write_file_atomic(path("no/such/dir/f"), "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ENOENT);
}

TEST_F(FileTest, MkdirPCreatesEveryParentAndIsIdempotent) {
  std::string deep = path("a/b/c");
  ASSERT_TRUE(mkdir_p(deep).ok());
  ASSERT_TRUE(mkdir_p(deep).ok());
  struct stat st {};
  ASSERT_EQ(::stat(deep.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(FileTest, MkdirPThroughAFileIsRefused) {
  ASSERT_TRUE(write_file(path("f"), "").ok());
  auto st = mkdir_p(path("f"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ENOTDIR);
  EXPECT_FALSE(mkdir_p(path("f/sub")).ok());
}

TEST_F(FileTest, RemoveTreeRemovesNestedFilesAndLinksWithoutFollowing) {
  std::string outside = path("outside");
  ASSERT_TRUE(mkdir_p(outside).ok());
  ASSERT_TRUE(write_file(path_join(outside, "keep"), "k").ok());
  ASSERT_TRUE(mkdir_p(path("tree/x/y")).ok());
  ASSERT_TRUE(write_file(path("tree/x/y/f"), "1").ok());
  ASSERT_EQ(::symlink(outside.c_str(), path("tree/link").c_str()), 0);
  ASSERT_TRUE(remove_tree(path("tree")).ok());
  EXPECT_FALSE(path_exists(path("tree")));
  EXPECT_TRUE(path_exists(path_join(outside, "keep")));
}

TEST_F(FileTest, RemoveTreeOfNothingSucceeds) {
  EXPECT_TRUE(remove_tree(path("absent")).ok());
  ASSERT_TRUE(write_file(path("plain"), "").ok());
  EXPECT_TRUE(remove_tree(path("plain")).ok());
  EXPECT_FALSE(path_exists(path("plain")));
}

TEST_F(FileTest, ListDirSkipsDotEntries) {
  ASSERT_TRUE(write_file(path("b"), "").ok());
  ASSERT_TRUE(mkdir_p(path("a")).ok());
  auto names = list_dir(dir_).value();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(list_dir(path("none")).ok());
}

TEST_F(FileTest, OpenPathGivesAnOwnedDescriptor) {
  ASSERT_TRUE(write_file(path("f"), "abc").ok());
  auto fd = open_path(path("f"), O_RDONLY);
  ASSERT_TRUE(fd.ok());
  EXPECT_TRUE(fd->valid());
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0) << "descriptors never leak into containers";
  EXPECT_EQ(read_fd(fd->get()).value(), "abc");
  auto missing = open_path(path("none"), O_RDONLY);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "open " + path("none") + ": No such file or directory");
}

TEST_F(FileTest, WriteAllWritesEverythingToAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  UniqueFd r(fds[0]), w(fds[1]);
  ASSERT_TRUE(write_all(w.get(), "through the pipe", "pipe").ok());
  w.reset();
  EXPECT_EQ(read_fd(r.get()).value(), "through the pipe");
}

TEST(Paths, JoinHandlesSlashes) {
  EXPECT_EQ(path_join("/run/berth", "c1"), "/run/berth/c1");
  EXPECT_EQ(path_join("/run/berth/", "/c1"), "/run/berth/c1");
  EXPECT_EQ(path_join("/", "etc"), "/etc");
  EXPECT_EQ(path_join("", "etc"), "etc");
  EXPECT_EQ(path_join("/a", ""), "/a");
  EXPECT_EQ(path_join("rel", "x"), "rel/x");
}

TEST(Paths, DirnameAndBasenameFollowPosix) {
  EXPECT_EQ(dirname_of("/a/b/c"), "/a/b");
  EXPECT_EQ(dirname_of("/a/b/"), "/a");
  EXPECT_EQ(dirname_of("/a"), "/");
  EXPECT_EQ(dirname_of("/"), "/");
  EXPECT_EQ(dirname_of("file"), ".");
  EXPECT_EQ(basename_of("/a/b/c"), "c");
  EXPECT_EQ(basename_of("/a/b/"), "b");
  EXPECT_EQ(basename_of("file"), "file");
}

TEST(Paths, AbsolutePathResolvesAgainstTheWorkingDirectory) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(absolute_path("/x/y").value(), "/x/y");
  EXPECT_EQ(absolute_path("bundle").value(), path_join(cwd, "bundle"));
  EXPECT_EQ(absolute_path(".").value(), cwd);
  EXPECT_EQ(absolute_path("").value(), cwd);
}

}  // namespace
}  // namespace berth
