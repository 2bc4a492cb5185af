// Images exported by berth, read by the peers: podman loads berth's docker-archive and runs
// it, skopeo reads berth's OCI layout (directory and tar) and umoci unpacks it to the rootfs
// berth unpacks itself. And the way in: a docker-archive skopeo made from an image with
// xattrs, hard links, setuid files and a whiteout, imported by berth, unpacks to what umoci
// unpacks. Root for owners and security.* xattrs; skipped where a peer is missing.
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "images/export/image_export.h"
#include "images/import/docker_archive.h"
#include "images/import/oci_layout.h"
#include "images/unpack/layer_unpacker.h"
#include "tests/integration/support/busybox_layout_fixture.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/peers.h"
#include "tests/integration/support/private_podman.h"
#include "tests/integration/support/tree_listing.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using images::ContentStore;
using images::ImageRecord;
using images::ImportOptions;
using images::OciLayoutForm;
using std::chrono::seconds;

// Applies the record's layers, bottom first, onto the new directory `dir`.
void unpack_record(const ContentStore& store, const ImageRecord& record, const std::string& dir) {
  ASSERT_TRUE(mkdir_p(dir));
  auto root = open_path(dir, O_PATH | O_DIRECTORY);
  ASSERT_TRUE(root.ok()) << root.error().message();
  images::UnpackPolicy policy;
  policy.devices = images::DeviceNodes::kCreate;
  for (const images::LayerRecord& layer : record.layers) {
    auto blob = store.open_blob(layer.digest);
    ASSERT_TRUE(blob.ok()) << blob.error().message();
    auto r = images::unpack_layer(blob->get(), root->get(), policy);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->diff_id, layer.diff_id.str());
  }
}

// `umoci unpack` of `image` ("DIR:TAG"): the bundle's rootfs, or "" after a failure.
std::string umoci_rootfs(const std::string& image, const std::string& bundle) {
  RunResult u = run_cmd({"umoci", "unpack", "--image", image, bundle}, {}, seconds(300));
  EXPECT_TRUE(u.ok()) << u;
  return u.ok() ? bundle + "/rootfs" : std::string();
}

void expect_same_rootfs(const std::string& got, const std::string& want) {
  std::string listing = tree_listing(want, false);
  EXPECT_GT(listing.size(), 1000U);
  EXPECT_EQ(tree_listing(got, false), listing);
  EXPECT_EQ(content_listing(got), content_listing(want));
  EXPECT_EQ(xattr_listing(got), xattr_listing(want));
}

class ImagesExportTest : public BusyboxLayoutFixture {
 protected:
  ImagesExportTest() : BusyboxLayoutFixture("berth-images-export-") {}

  ImageRecord import_layout(const std::string& name) {
    auto record = images::import_oci_layout(*store_, layout_, ImportOptions{.name = name});
    EXPECT_TRUE(record.ok()) << record.error().message();
    return record.ok() ? *record : ImageRecord{};
  }

  // Adds a layer to the fixture image, made by umoci from a changed rootfs: a file with a
  // user xattr and a file capability, owned by 1234:5678, setuid, hard-linked and
  // symlinked, and a whiteout for /bin/vi.
  void add_layer_with_xattrs() {
    std::string bundle = dir_.path("edit");
    std::string rootfs = umoci_rootfs(layout_ + ":latest", bundle);
    ASSERT_FALSE(rootfs.empty());
    std::string file = rootfs + "/xfile";
    ASSERT_TRUE(write_file(file, "data\n"));
    ASSERT_EQ(::chown(file.c_str(), 1234, 5678), 0);
    ASSERT_EQ(::chmod(file.c_str(), 04755), 0);  // after chown, which clears setuid
    ASSERT_EQ(::setxattr(file.c_str(), "user.berth", "value", 5, 0), 0);
    // A v2 file capability (CAP_NET_RAW permitted); after chown, which clears it too.
    const unsigned char cap[20] = {1, 0, 0, 2, 0, 0x20, 0, 0};
    ASSERT_EQ(::setxattr(file.c_str(), "security.capability", cap, sizeof cap, 0), 0);
    ASSERT_EQ(::link(file.c_str(), (rootfs + "/hardlink").c_str()), 0);
    ASSERT_EQ(::symlink("xfile", (rootfs + "/symlink").c_str()), 0);
    ASSERT_EQ(::unlink((rootfs + "/bin/vi").c_str()), 0);
    RunResult repack = run_cmd({"umoci", "repack", "--image", layout_ + ":latest", bundle}, {}, seconds(300));
    ASSERT_TRUE(repack.ok()) << repack;
  }
};

TEST_F(ImagesExportTest, OciLayoutIsReadBySkopeoAndUnpackedByUmociLikeBerth) {
  skip_unless_root();
  if (find_program("skopeo").empty()) GTEST_SKIP() << "skopeo is not installed (apt-get install skopeo)";
  if (find_program("umoci").empty()) GTEST_SKIP() << "umoci is not installed (apt-get install umoci)";
  ImageRecord record = import_layout("berth/busybox");
  ASSERT_FALSE(record.layers.empty());
  std::string dir = dir_.path("exported");
  auto st = images::export_oci_layout(*store_, {record}, dir, OciLayoutForm::kDirectory);
  ASSERT_TRUE(st.ok()) << st.error().message();
  std::string tar = dir_.path("exported.tar");
  st = images::export_oci_layout(*store_, {record}, tar, OciLayoutForm::kTar);
  ASSERT_TRUE(st.ok()) << st.error().message();

  for (const std::string& source : {"oci:" + dir + ":latest", "oci-archive:" + tar + ":latest"}) {
    RunResult raw = run_cmd({"skopeo", "inspect", "--raw", source});
    ASSERT_TRUE(raw.ok()) << raw;
    EXPECT_EQ(images::Digest::of(raw.out), record.manifest_digest) << source;
    RunResult inspect = run_cmd({"skopeo", "inspect", source});
    ASSERT_TRUE(inspect.ok()) << inspect;
    EXPECT_NE(inspect.out.find(record.layers[0].digest.str()), std::string::npos) << inspect;
  }

  std::string want = umoci_rootfs(dir + ":latest", dir_.path("bundle"));
  ASSERT_FALSE(want.empty());
  unpack_record(*store_, record, dir_.path("berth"));
  expect_same_rootfs(dir_.path("berth"), want);
}

TEST_F(ImagesExportTest, SkopeoDockerArchiveImportsToTheRootfsUmociUnpacks) {
  skip_unless_root();
  if (find_program("skopeo").empty()) GTEST_SKIP() << "skopeo is not installed (apt-get install skopeo)";
  if (find_program("umoci").empty()) GTEST_SKIP() << "umoci is not installed (apt-get install umoci)";
  add_layer_with_xattrs();
  if (HasFatalFailure()) return;
  std::string archive = dir_.path("skopeo.tar");
  RunResult copy = run_cmd(
      {"skopeo", "--insecure-policy", "copy", "oci:" + layout_ + ":latest", "docker-archive:" + archive + ":x/y:1"}, {},
      seconds(120));
  ASSERT_TRUE(copy.ok()) << copy;
  auto records = images::import_docker_archive(*store_, archive, ImportOptions{});
  ASSERT_TRUE(records.ok()) << records.error().message();
  ASSERT_EQ(records->size(), 1U);
  ASSERT_EQ(records->front().layers.size(), 2U);

  std::string want = umoci_rootfs(layout_ + ":latest", dir_.path("bundle"));
  ASSERT_FALSE(want.empty());
  EXPECT_NE(xattr_listing(want).find("xfile security.capability="), std::string::npos) << "the layer lost its xattrs";
  unpack_record(*store_, records->front(), dir_.path("berth"));
  expect_same_rootfs(dir_.path("berth"), want);

  // And back out: berth's docker-archive of it, taken in by skopeo, unpacks the same in umoci.
  std::string exported = dir_.path("berth.tar");
  auto st = images::export_docker_archive(*store_, *records, exported);
  ASSERT_TRUE(st.ok()) << st.error().message();
  RunResult back = run_cmd({"skopeo", "--insecure-policy", "copy", "docker-archive:" + exported + ":x/y:1",
                            "oci:" + dir_.path("again") + ":1"},
                           {}, seconds(120));
  ASSERT_TRUE(back.ok()) << back;
  std::string again = umoci_rootfs(dir_.path("again") + ":1", dir_.path("bundle-again"));
  ASSERT_FALSE(again.empty());
  expect_same_rootfs(again, want);
}

// berth's docker-archive, loaded by the private podman, runs under berth-oci.
class PodmanLoadTest : public PrivatePodmanTest {};

TEST_F(PodmanLoadTest, BerthsDockerArchiveLoadsAndRuns) {
  RunResult layout =
      run_cmd({"bash", fixture_script(), "image-layout", dir_ + "/layout", "--no-validate"}, {}, seconds(120));
  ASSERT_TRUE(layout.ok()) << layout;
  auto store = ContentStore::open(dir_ + "/store");
  ASSERT_TRUE(store.ok()) << store.error().message();
  auto record = images::import_oci_layout(*store, dir_ + "/layout", ImportOptions{.name = "berth/export-test:1"});
  ASSERT_TRUE(record.ok()) << record.error().message();
  std::string archive = dir_ + "/busybox.tar";
  auto st = images::export_docker_archive(*store, {*record}, archive);
  ASSERT_TRUE(st.ok()) << st.error().message();

  RunResult load = podman({"load", "--input", archive}, seconds(120));
  ASSERT_TRUE(load.ok()) << load;
  EXPECT_NE(load.out.find("Loaded image: docker.io/berth/export-test:1"), std::string::npos) << load;
  RunResult id = podman({"image", "inspect", "--format", "{{.Id}}", "docker.io/berth/export-test:1"});
  ASSERT_TRUE(id.ok()) << id;
  EXPECT_EQ(trim(id.out), record->config_digest.hex()) << "podman's image ID is the config's digest";

  std::vector<std::string> args = run_args({"run", "--rm"}, "docker.io/berth/export-test:1");
  args.insert(args.end(), {"/bin/echo", "ok"});
  RunResult run = podman(args);
  ASSERT_TRUE(run.ok()) << run;
  EXPECT_EQ(run.out, "ok\n") << run;
}

}  // namespace
}  // namespace berth::integration
