// Sparse files as GNU tar writes them with --sparse, in the old GNU format ('S' headers,
// extension blocks past four segments) and in the pax formats 0.0, 0.1 and 1.0: berth
// unpacks each to the same bytes and size as the source, with the holes left unallocated.
// Needs GNU tar and a file system with holes (ext4, xfs, tmpfs); not root.
#include <fcntl.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "common/file.h"
#include "images/unpack/layer_unpacker.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/tree_listing.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

constexpr off_t kMiB = off_t{1} << 20;

// Writes `data` at each of `offsets` into `path`, then sets its size.
void write_sparse(const std::string& path, const std::vector<off_t>& offsets, off_t size, const std::string& data) {
  auto fd = open_path(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  for (off_t at : offsets) ASSERT_TRUE(pwrite_all(fd->get(), data, static_cast<uint64_t>(at), path));
  ASSERT_EQ(::ftruncate(fd->get(), size), 0);
}

// Bytes the file system allocated for `path`.
off_t allocated(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<off_t>(st.st_blocks) * 512;
}

class ImagesSparseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RunResult version = run_cmd({"tar", "--version"});
    if (!version.ok() || version.out.find("GNU tar") == std::string::npos) GTEST_SKIP() << "needs GNU tar";
    ASSERT_TRUE(mkdir_p(tmp_.path("src")));
    // Data at both ends and in the middle of 16 MiB; a file that ends in a hole; one with
    // 30 segments (four fit the GNU header, the rest need two extension blocks).
    write_sparse(tmp_.path("src/big"), {0, 5 * kMiB, 16 * kMiB - 5}, 16 * kMiB, "data!");
    write_sparse(tmp_.path("src/tail-hole"), {kMiB}, 8 * kMiB, "x");
    std::vector<off_t> many;
    for (off_t i = 0; i < 30; ++i) many.push_back(i * kMiB / 4 + 3);
    write_sparse(tmp_.path("src/many"), many, 8 * kMiB, std::string(5000, 'm'));
    if (HasFatalFailure()) return;
    if (allocated(tmp_.path("src/big")) > kMiB) GTEST_SKIP() << "this file system does not keep holes";
  }

  // Archives src/ with GNU tar `options`, unpacks it with berth into a new dir, returns it.
  std::string tar_and_unpack(const std::string& name, const std::vector<std::string>& options) {
    std::string tar = tmp_.path(name + ".tar");
    std::vector<std::string> argv = {"tar", "--sparse", "--numeric-owner", "-cf", tar, "-C", tmp_.path("src")};
    argv.insert(argv.begin() + 1, options.begin(), options.end());
    argv.emplace_back(".");
    RunResult r = run_cmd(argv);
    EXPECT_TRUE(r.ok()) << r;
    std::string out = tmp_.path(name);
    EXPECT_TRUE(mkdir_p(out));
    auto in = open_path(tar, O_RDONLY);
    auto root = open_path(out, O_PATH | O_DIRECTORY);
    EXPECT_TRUE(in.ok() && root.ok());
    images::UnpackPolicy policy;
    policy.preserve_owners = false;
    auto unpacked = images::unpack_layer(in->get(), root->get(), policy);
    EXPECT_TRUE(unpacked.ok()) << name << ": " << unpacked.error().message();
    return out;
  }

  TempDir tmp_{"berth-it-sparse-"};
};

TEST_F(ImagesSparseTest, GnuTarSparseFilesUnpackWithTheirHoles) {
  std::string want = content_listing(tmp_.path("src"));
  std::string want_tree = tree_listing(tmp_.path("src"), false);
  struct Format {
    std::string name;
    std::vector<std::string> options;
  };
  std::vector<Format> formats = {
      {"gnu", {"--format=gnu"}},
      {"pax-0.0", {"--format=posix", "--sparse-version=0.0"}},
      {"pax-0.1", {"--format=posix", "--sparse-version=0.1"}},
      {"pax-1.0", {"--format=posix", "--sparse-version=1.0"}},
  };
  for (const Format& f : formats) {
    SCOPED_TRACE(f.name);
    std::string out = tar_and_unpack(f.name, f.options);
    EXPECT_EQ(content_listing(out), want);
    EXPECT_EQ(tree_listing(out, false), want_tree) << "types, sizes and modes";
    for (const char* file : {"big", "tail-hole", "many"}) {
      std::string path = out + "/" + file;
      EXPECT_LT(allocated(path), kMiB) << path << " lost its holes";
    }
  }
}

}  // namespace
}  // namespace berth::integration
