// The du scan of a sandbox directory on the file system /tmp is on: it adds up what every
// file holds, counts a hard-linked file once, never follows a symlink, and walks a deep tree
// with a handful of fds. (Not crossing into another mount needs root to mount: see
// tests/integration/disk_isolator_test.cc.)
#include "isolators/disk/du_scanner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/fd.h"
#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::isolators::disk {
namespace {

constexpr uint64_t kFileBytes = uint64_t{64} * 1024;

void write_data(const std::string& path, uint64_t bytes = kFileBytes) {
  ASSERT_TRUE(write_file(path, std::string(bytes, 'x')).ok()) << path;
}

uint64_t scan(const std::string& dir) {
  auto used = used_bytes(dir);
  EXPECT_TRUE(used.ok()) << used.error().message();
  return used ? *used : 0;
}

// What lstat(2) says every entry under `dir` (and `dir` itself) holds: an independent count.
uint64_t lstat_total(const std::string& dir) {
  namespace fs = std::filesystem;
  auto blocks = [](const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return static_cast<uint64_t>(st.st_blocks) * 512;
  };
  uint64_t total = blocks(dir);
  for (const auto& e : fs::recursive_directory_iterator(dir)) total += blocks(e.path());
  return total;
}

TEST(DuScanner, SumsWhatEveryFileInTheTreeHolds) {
  TempDir tmp("berth-dutest-");
  ASSERT_TRUE(mkdir_p(tmp.path("a/b/c")).ok());
  write_data(tmp.path("top"));
  write_data(tmp.path("a/one"));
  write_data(tmp.path("a/b/c/deep"), 3 * kFileBytes);

  uint64_t used = scan(tmp.path());
  EXPECT_GE(used, 5 * kFileBytes);
  EXPECT_EQ(used, lstat_total(tmp.path()));
}

TEST(DuScanner, EmptyDirectoryHoldsOnlyItself) {
  TempDir tmp("berth-dutest-");
  EXPECT_LT(scan(tmp.path()), kFileBytes);
}

TEST(DuScanner, HardLinkedFileCountsOnce) {
  TempDir tmp("berth-dutest-");
  ASSERT_TRUE(mkdir_p(tmp.path("sub")).ok());
  write_data(tmp.path("file"), 4 * kFileBytes);
  uint64_t before = scan(tmp.path());
  ASSERT_EQ(::link(tmp.path("file").c_str(), tmp.path("link1").c_str()), 0);
  ASSERT_EQ(::link(tmp.path("file").c_str(), tmp.path("sub/link2").c_str()), 0);
  EXPECT_EQ(scan(tmp.path()), before);
}

TEST(DuScanner, SymlinksAreNotFollowed) {
  TempDir tmp("berth-dutest-");
  ASSERT_TRUE(mkdir_p(tmp.path("scanned")).ok());
  ASSERT_TRUE(mkdir_p(tmp.path("elsewhere")).ok());
  write_data(tmp.path("elsewhere/big"), 16 * kFileBytes);
  uint64_t before = scan(tmp.path("scanned"));
  ASSERT_EQ(::symlink(tmp.path("elsewhere").c_str(), tmp.path("scanned/dir-link").c_str()), 0);
  ASSERT_EQ(::symlink(tmp.path("elsewhere/big").c_str(), tmp.path("scanned/file-link").c_str()), 0);
  ASSERT_EQ(::symlink("/", tmp.path("scanned/root-link").c_str()), 0);

  uint64_t after = scan(tmp.path("scanned"));
  EXPECT_LT(after, before + kFileBytes) << "a link's target was counted";
}

TEST(DuScanner, ScannedDirectoryThatIsASymlinkIsRefused) {
  TempDir tmp("berth-dutest-");
  ASSERT_TRUE(mkdir_p(tmp.path("real")).ok());
  ASSERT_EQ(::symlink(tmp.path("real").c_str(), tmp.path("link").c_str()), 0);
  EXPECT_FALSE(used_bytes(tmp.path("link")).ok());
}

TEST(DuScanner, MissingDirectoryIsAnErrorNamingIt) {
  TempDir tmp("berth-dutest-");
  auto used = used_bytes(tmp.path("absent"));
  ASSERT_FALSE(used.ok());
  EXPECT_EQ(used.error().code(), ENOENT);
  EXPECT_NE(used.error().message().find(tmp.path("absent")), std::string::npos) << used.error().message();
}

// A container can nest directories deeper than the fd table is wide; the scan must still
// see the bottom. Walked here under a limit of 64 open files with 300 levels.
TEST(DuScanner, DeepTreeIsScannedWithAFewFds) {
  TempDir tmp("berth-dutest-");
  constexpr int kDepth = 300;
  std::string bottom = tmp.path();
  {
    UniqueFd fd(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    for (int i = 0; i < kDepth; ++i) {
      ASSERT_EQ(::mkdirat(fd.get(), "d", 0755), 0);
      fd.reset(::openat(fd.get(), "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      ASSERT_TRUE(fd.valid());
      bottom += "/d";
    }
  }
  uint64_t before = scan(tmp.path());
  write_data(bottom + "/file", 8 * kFileBytes);

  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  auto used = used_bytes(tmp.path());
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);

  ASSERT_TRUE(used.ok()) << used.error().message();
  EXPECT_GE(*used, before + 8 * kFileBytes);
}

}  // namespace
}  // namespace berth::isolators::disk
