// Layer unpacking and snapshots against the real kernel and real peers: GNU tar and umoci
// unpack the same busybox layer, overlayfs merges two layers with whiteouts, and file
// capabilities survive. Root: owners, device whiteouts, trusted.* xattrs and mounts.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/file.h"
#include "images/snapshot/snapshotter.h"
#include "images/unpack/layer_unpacker.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/peers.h"
#include "tests/integration/support/tree_listing.h"
#include "tests/unit/support/tar_builder.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using images::LayerSource;
using images::SnapshotBackend;
using images::Snapshotter;
using images::UnpackPolicy;
using testing::TarBuilder;

std::string busybox_template() {
  RunResult r = run_cmd({"bash", fixture_script(), "rootfs-template"}, {}, std::chrono::seconds(300));
  if (!r.ok()) return {};
  std::string dir = r.out;
  while (!dir.empty() && dir.back() == '\n') dir.pop_back();
  return dir;
}

UnpackPolicy root_policy() {
  UnpackPolicy p;
  p.devices = images::DeviceNodes::kCreate;
  return p;
}

Result<images::UnpackResult> unpack_file(const std::string& blob, const std::string& dir, const UnpackPolicy& p) {
  BERTH_ASSIGN(UniqueFd in, open_path(blob, O_RDONLY));
  BERTH_ASSIGN(UniqueFd root, open_path(dir, O_PATH | O_DIRECTORY));
  return images::unpack_layer(in.get(), root.get(), p);
}

TEST(ImagesUnpack, BusyboxLayerUnpacksLikeGnuTar) {
  skip_unless_root();
  std::string tmpl = busybox_template();
  ASSERT_FALSE(tmpl.empty()) << "scripts/make-busybox-fixture.sh rootfs-template failed";
  TempDir tmp("berth-it-unpack-");
  ASSERT_TRUE(mkdir_p(tmp.path("berth")));
  ASSERT_TRUE(mkdir_p(tmp.path("tar")));
  auto r = unpack_file(tmpl + "/layer.tar.gz", tmp.path("berth"), root_policy());
  ASSERT_TRUE(r) << r.error().message();
  auto want_id = read_file(tmpl + "/layer.diff_id");
  ASSERT_TRUE(want_id);
  EXPECT_EQ(r->diff_id, "sha256:" + want_id->substr(0, 64));
  RunResult t = run_cmd({"tar", "--numeric-owner", "-xzpf", tmpl + "/layer.tar.gz", "-C", tmp.path("tar")});
  ASSERT_TRUE(t.ok()) << t;
  std::string want = tree_listing(tmp.path("tar"), true);
  EXPECT_GT(want.size(), 1000U);
  EXPECT_EQ(tree_listing(tmp.path("berth"), true), want);
}

TEST(ImagesUnpack, BusyboxImageUnpacksLikeUmoci) {
  skip_unless_root();
  if (find_program("umoci").empty()) GTEST_SKIP() << "umoci is not installed (apt-get install umoci)";
  TempDir tmp("berth-it-umoci-");
  RunResult layout =
      run_cmd({"bash", fixture_script(), "image-layout", tmp.path("layout")}, {}, std::chrono::seconds(300));
  ASSERT_TRUE(layout.ok()) << layout;
  RunResult u = run_cmd({"umoci", "unpack", "--image", tmp.path("layout") + ":latest", tmp.path("bundle")}, {},
                        std::chrono::seconds(300));
  ASSERT_TRUE(u.ok()) << u;
  // The layout's one layer is the manifest's only layers[] entry: find it by its media type.
  RunResult blob =
      run_cmd({"sh", "-c",
               "cd '" + tmp.path("layout") +
                   R"(/blobs/sha256' && for b in *; do gzip -t "$b" 2>/dev/null && echo "$PWD/$b"; done; true)"});
  ASSERT_TRUE(blob.ok()) << blob;
  std::string layer = blob.out.substr(0, blob.out.find('\n'));
  ASSERT_TRUE(mkdir_p(tmp.path("berth")));
  auto r = unpack_file(layer, tmp.path("berth"), root_policy());
  ASSERT_TRUE(r) << r.error().message();
  // umoci stamps its own mtimes on some directories: compare without times.
  std::string want = tree_listing(tmp.path("bundle") + "/rootfs", false);
  EXPECT_GT(want.size(), 1000U);
  EXPECT_EQ(tree_listing(tmp.path("berth"), false), want);
}

// A bottom layer and a top layer that deletes, hides and adds.
struct TwoLayers {
  std::string lower = TarBuilder()
                          .dir("a/")
                          .file("a/keep", "k")
                          .file("a/gone", "g")
                          .dir("opq/")
                          .file("opq/old", "o")
                          .dir("opq/sub/")
                          .file("opq/sub/x", "x")
                          .file("top-gone", "t")
                          .finish();
  std::string upper = TarBuilder()
                          .file("a/.wh.gone", "")
                          .file(".wh.top-gone", "")
                          .dir("opq/")
                          .file("opq/.wh..wh..opq", "")
                          .file("opq/new", "n")
                          .pax({{"SCHILY.xattr.security.capability",
                                 std::string("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                             "\x00\x00",
                                             20)}})
                          .file("ping", "elf", {.mode = 0755})
                          .finish();
  static constexpr const char* kMerged =
      "a d 755 0:0 - \n"
      "a/keep f 644 0:0 1 \n"
      "opq d 755 0:0 - \n"
      "opq/new f 644 0:0 1 \n"
      "ping f 755 0:0 3 \n";
};

LayerSource source_for(const TempDir& tmp, const std::string& name, const std::string& tar, char chain) {
  std::string path = tmp.path(name + ".tar.zst");
  EXPECT_TRUE(write_file(path, testing::zstd(tar)));
  return {"sha256:" + std::string(64, chain), "", [path]() { return open_path(path, O_RDONLY); }};
}

std::string mount_data(const images::MountSpec& m) {
  std::string data;
  for (const auto& o : m.options) data += (data.empty() ? "" : ",") + o;
  return data;
}

TEST(ImagesUnpack, TwoLayersWithWhiteoutsMergeAlikeInOverlayAndCopyModes) {
  skip_unless_root();
  TempDir tmp("berth-it-snap-");
  TwoLayers image;
  std::vector<LayerSource> layers = {source_for(tmp, "lower", image.lower, 'a'),
                                     source_for(tmp, "upper", image.upper, 'b')};

  auto copy = Snapshotter::open(tmp.path("copy"), SnapshotBackend::kCopy, root_policy());
  ASSERT_TRUE(copy) << copy.error().message();
  auto cm = copy->prepare("c", layers);
  ASSERT_TRUE(cm) << cm.error().message();
  EXPECT_EQ(tree_listing(cm->front().source, false), TwoLayers::kMerged);

  auto overlay = Snapshotter::open(tmp.path("overlay"), SnapshotBackend::kOverlay, root_policy());
  ASSERT_TRUE(overlay) << overlay.error().message();
  auto om = overlay->prepare("c", layers);
  ASSERT_TRUE(om) << om.error().message();
  const images::MountSpec& m = om->front();
  ASSERT_EQ(m.type, "overlay");
  std::string merged = tmp.path("merged");
  ASSERT_TRUE(mkdir_p(merged));
  if (::mount(m.source.c_str(), merged.c_str(), m.type.c_str(), 0, mount_data(m).c_str()) != 0) {
    GTEST_SKIP() << "overlay mount failed (" << std::strerror(errno) << "): no overlayfs here";
  }
  std::string listing = tree_listing(merged, false);
  char cap[32];
  ssize_t cap_len = ::getxattr((merged + "/ping").c_str(), "security.capability", cap, sizeof cap);
  ::umount2(merged.c_str(), MNT_DETACH);
  EXPECT_EQ(listing, TwoLayers::kMerged);
  EXPECT_EQ(cap_len, 20) << "file capabilities did not survive the overlay";
  ASSERT_TRUE(overlay->remove("c"));
  EXPECT_EQ(overlay->unused_layers()->size(), 2U);
}

TEST(ImagesUnpack, FileCapabilitiesSurviveAsGetcapReadsThem) {
  skip_unless_root();
  if (find_program("getcap").empty()) GTEST_SKIP() << "getcap is not installed (apt-get install libcap2-bin)";
  TempDir tmp("berth-it-cap-");
  TwoLayers image;
  ASSERT_TRUE(write_file(tmp.path("upper.tar"), image.upper));
  ASSERT_TRUE(mkdir_p(tmp.path("fs")));
  auto r = unpack_file(tmp.path("upper.tar"), tmp.path("fs"), root_policy());
  ASSERT_TRUE(r) << r.error().message();
  RunResult g = run_cmd({"getcap", tmp.path("fs/ping")});
  ASSERT_TRUE(g.ok()) << g;
  EXPECT_NE(g.out.find("cap_net_bind_service"), std::string::npos) << g;
}

}  // namespace
}  // namespace berth::integration
