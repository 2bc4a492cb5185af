#include "images/snapshot/snapshotter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/file.h"
#include "images/digest/digest.h"
#include "tests/unit/support/tar_builder.h"
#include "tests/unit/support/temp_dir.h"
#include "tests/unit/support/unpack_policy.h"

namespace berth::images {
namespace {

using berth::testing::TarBuilder;
using berth::testing::test_unpack_policy;

// A layer whose blob is a file under `dir`, counting how often it is opened.
struct TestLayer {
  std::string tar;
  std::string blob_path;
  std::shared_ptr<std::atomic<int>> opens = std::make_shared<std::atomic<int>>(0);

  TestLayer(const TempDir& dir, const std::string& name, std::string t) : tar(std::move(t)) {
    blob_path = dir.path(name + ".tar.gz");
    EXPECT_TRUE(write_file(blob_path, testing::gzip(tar)));
  }
  [[nodiscard]] LayerSource source(const std::string& chain_id) const {
    std::string path = blob_path;
    auto counter = opens;
    return {chain_id, Digest::of(tar).str(), [path, counter]() -> Result<UniqueFd> {
              ++*counter;
              return open_path(path, O_RDONLY);
            }};
  }
};

std::string chain(char c) { return "sha256:" + std::string(64, c); }

class SnapshotterTest : public ::testing::Test {
 protected:
  TempDir tmp_{"berth-snap-"};
  TestLayer base_{tmp_, "base", TarBuilder().dir("etc/").file("etc/a", "a1").file("etc/b", "b1").finish()};
  TestLayer top_{tmp_, "top", TarBuilder().file("etc/a", "a2").file("etc/c", "c2").finish()};
  std::string root_ = tmp_.path("root");
};

TEST_F(SnapshotterTest, LayerIsUnpackedOnceAndSharedByEverySnapshot) {
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(s) << s.error().message();
  auto m1 = s->prepare("c1", {base_.source(chain('a')), top_.source(chain('b'))});
  ASSERT_TRUE(m1) << m1.error().message();
  auto m2 = s->prepare("c2", {base_.source(chain('a'))});
  ASSERT_TRUE(m2) << m2.error().message();
  EXPECT_EQ(base_.opens->load(), 1);
  EXPECT_EQ(top_.opens->load(), 1);
  EXPECT_EQ(*read_file(s->layer_dir(chain('a')) + "/fs/etc/a"), "a1");
  EXPECT_EQ(*read_file(s->layer_dir(chain('b')) + "/fs/etc/c"), "c2");
}

TEST_F(SnapshotterTest, OverlayMountListsLowerDirsTopmostFirst) {
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(s);
  auto m = s->prepare("web", {base_.source(chain('a')), top_.source(chain('b'))});
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->size(), 1U);
  const MountSpec& o = m->front();
  EXPECT_EQ(o.type, "overlay");
  ASSERT_EQ(o.options.size(), 3U);
  EXPECT_EQ(o.options[0], "lowerdir=" + s->layer_dir(chain('b')) + "/fs:" + s->layer_dir(chain('a')) + "/fs");
  EXPECT_EQ(o.options[1], "upperdir=" + root_ + "/containers/web/upper");
  EXPECT_EQ(o.options[2], "workdir=" + root_ + "/containers/web/work");
  EXPECT_TRUE(path_exists(root_ + "/containers/web/upper"));
  // After a restart the same mounts come back from the record.
  auto again = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(again);
  auto m2 = again->mounts("web");
  ASSERT_TRUE(m2) << m2.error().message();
  EXPECT_EQ(m2->front().options, o.options);
}

TEST_F(SnapshotterTest, CopyBackendMaterialisesLayersInOrderWithWhiteouts) {
  TestLayer wh(tmp_, "wh", TarBuilder().file("etc/.wh.b", "").finish());
  auto s = Snapshotter::open(root_, SnapshotBackend::kCopy, test_unpack_policy());
  ASSERT_TRUE(s);
  auto m = s->prepare("c", {base_.source(chain('a')), top_.source(chain('b')), wh.source(chain('c'))});
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->size(), 1U);
  EXPECT_EQ(m->front().type, "bind");
  std::string fs = m->front().source;
  EXPECT_EQ(*read_file(fs + "/etc/a"), "a2");
  EXPECT_EQ(*read_file(fs + "/etc/c"), "c2");
  EXPECT_FALSE(path_exists(fs + "/etc/b"));
  EXPECT_FALSE(path_exists(fs + "/etc/.wh.b"));
}

TEST_F(SnapshotterTest, DiffIdMismatchIsRefusedAndLeavesNoLayer) {
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(s);
  LayerSource bad = base_.source(chain('a'));
  bad.diff_id = chain('f');
  auto r = s->ensure_layer(bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("diff_id is " + Digest::of(base_.tar).str()), std::string::npos)
      << r.error().message();
  EXPECT_FALSE(path_exists(s->layer_dir(chain('a'))));
  EXPECT_TRUE(list_dir(root_ + "/tmp")->empty());
  auto p = s->prepare("c", {bad});
  ASSERT_FALSE(p);
  EXPECT_FALSE(path_exists(root_ + "/containers/c"));  // a failed prepare leaves no snapshot
}

// Missing layers are unpacked side by side: a bad one fails the prepare and names itself,
// the good ones are kept (shared, for the next try).
TEST_F(SnapshotterTest, BadLayerAmongSeveralFailsPrepareAndNamesIt) {
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(s);
  LayerSource bad = top_.source(chain('b'));
  bad.diff_id = chain('f');
  TestLayer third(tmp_, "third", TarBuilder().file("etc/d", "d3").finish());
  auto p = s->prepare("c", {base_.source(chain('a')), bad, third.source(chain('c'))});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("layer " + chain('b')), std::string::npos) << p.error().message();
  EXPECT_FALSE(path_exists(root_ + "/containers/c"));
  EXPECT_FALSE(path_exists(s->layer_dir(chain('b'))));
  EXPECT_EQ(*read_file(s->layer_dir(chain('a')) + "/fs/etc/a"), "a1");
  EXPECT_EQ(*read_file(s->layer_dir(chain('c')) + "/fs/etc/d"), "d3");
}

TEST_F(SnapshotterTest, LayerUnpackedWithoutSyncIsNamedWholeAndShared) {
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy(), LayerSync::kNone);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->prepare("c1", {base_.source(chain('a')), top_.source(chain('b'))}));
  ASSERT_TRUE(s->prepare("c2", {base_.source(chain('a'))}));
  EXPECT_EQ(base_.opens->load(), 1);
  EXPECT_EQ(*read_file(s->layer_dir(chain('b')) + "/fs/etc/a"), "a2");
  EXPECT_TRUE(list_dir(root_ + "/tmp")->empty());
}

TEST_F(SnapshotterTest, BlobThatIsNotWhatItsMediaTypeSaysIsRefused) {
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(s);
  LayerSource zstd_claim = base_.source(chain('a'));  // the blob is gzip
  zstd_claim.media_type = "application/vnd.oci.image.layer.v1.tar+zstd";
  auto r = s->ensure_layer(zstd_claim);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("the blob is gzip"), std::string::npos) << r.error().message();
  LayerSource gzip_claim = base_.source(chain('a'));
  gzip_claim.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  EXPECT_TRUE(s->ensure_layer(gzip_claim));
}

TEST_F(SnapshotterTest, ConcurrentCallersUnpackALayerOnce) {
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(s);
  std::vector<std::thread> threads;
  threads.reserve(6);
  std::atomic<int> failures{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (!s->ensure_layer(base_.source(chain('a')))) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(base_.opens->load(), 1);
}

TEST_F(SnapshotterTest, UnusedLayersAreListedAndRemovedButUsedOnesAreKept) {
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->prepare("c1", {base_.source(chain('a')), top_.source(chain('b'))}));
  ASSERT_TRUE(s->prepare("c2", {base_.source(chain('a'))}));
  EXPECT_EQ(*s->layers(), (std::vector<std::string>{chain('a'), chain('b')}));
  EXPECT_TRUE(s->unused_layers()->empty());
  ASSERT_TRUE(s->remove("c1"));
  EXPECT_FALSE(path_exists(root_ + "/containers/c1"));
  EXPECT_EQ(*s->unused_layers(), std::vector<std::string>{chain('b')});
  auto busy = s->remove_layer(chain('a'));
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), EBUSY);
  ASSERT_TRUE(s->remove_layer(chain('b')));
  EXPECT_FALSE(path_exists(s->layer_dir(chain('b'))));
  EXPECT_EQ(*s->layers(), std::vector<std::string>{chain('a')});
  EXPECT_TRUE(path_exists(s->layer_dir(chain('a')) + "/fs/etc/a"));
}

TEST_F(SnapshotterTest, HalfUnpackedLayerFromACrashIsCleanedOnOpen) {
  ASSERT_TRUE(mkdir_p(root_ + "/tmp/" + std::string(64, 'a') + "-X1Y2Z3/fs/etc"));
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(list_dir(root_ + "/tmp")->empty());
}

TEST_F(SnapshotterTest, IdsThatCouldNameOtherPathsAreRefused) {
  auto s = Snapshotter::open(root_, SnapshotBackend::kOverlay, test_unpack_policy());
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->prepare("../evil", {}));
  EXPECT_FALSE(s->prepare(".hidden", {}));
  EXPECT_FALSE(s->ensure_layer(base_.source("sha256:../../x")));
  EXPECT_FALSE(s->ensure_layer(base_.source("md5:" + std::string(64, 'a'))));
  EXPECT_TRUE(s->prepare("ok-1", {}));
  EXPECT_FALSE(s->prepare("ok-1", {}));  // one snapshot per id
}

}  // namespace
}  // namespace berth::images
