// The disk isolator against the real kernel. On a file-backed XFS loop-mounted with prjquota,
// a busybox container that writes past its quota gets EDQUOT, and the quota is read back and
// lifted again. On a file system without project quotas, the du scan reports (or asks to
// kill) a container that wrote past its limit. Needs root, mkfs.xfs, a free loop device and
// an XFS with quota support; each kernel object made here has an owner that undoes it.
#include "isolators/disk/disk_isolator.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/file.h"
#include "common/strings.h"
#include "isolators/disk/du_scanner.h"
#include "isolators/disk/project_id.h"
#include "isolators/disk/quota_mount.h"
#include "isolators/disk/xfs_quota.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/loop_device.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using isolators::ContainerConfig;
using isolators::LaunchAdditions;
using isolators::Usage;
using namespace isolators::disk;
using namespace std::chrono_literals;

constexpr uint64_t kMiB = uint64_t{1024} * 1024;
// mkfs.xfs refuses file systems under 300 MiB; the image is sparse.
constexpr off_t kImageBytes = off_t{300} * 1024 * 1024;

// mount(8) and umount(8) rather than mount(2): <sys/mount.h> and the <linux/fs.h> that reading
// a file's project id needs do not go together.
Status mount_fs(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"mount"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (RunResult r = run_cmd(argv); !r.ok()) return Error(EIO, r.command + ": " + std::string(trim(r.err)));
  return ok();
}

// Unmounts exactly `path`, lazily when it is busy; a failure is a test failure.
void unmount(const std::string& path) {
  if (RunResult r = run_cmd({"umount", path}); !r.ok()) {
    ADD_FAILURE() << r;
    (void)run_cmd({"umount", "--lazy", path});
  }
}

// A sparse image with a fresh XFS, attached to the loop device losetup picks and mounted with
// `options` ("prjquota", or "" for none) under /tmp/berth-disk-it-XXXXXX/mnt. The destructor
// unmounts that exact path, detaches that exact device and removes the directory, whatever
// step set-up stopped at.
class XfsLoopMount {
 public:
  explicit XfsLoopMount(const std::string& options) { set_up(options); }
  ~XfsLoopMount() { tear_down(); }
  XfsLoopMount(const XfsLoopMount&) = delete;
  XfsLoopMount& operator=(const XfsLoopMount&) = delete;
  XfsLoopMount(XfsLoopMount&&) = delete;
  XfsLoopMount& operator=(XfsLoopMount&&) = delete;

  // Why this host cannot have one (a skip), or "" when it is mounted.
  [[nodiscard]] const std::string& unavailable() const { return unavailable_; }
  [[nodiscard]] const std::string& mount_point() const { return mount_point_; }
  [[nodiscard]] const std::string& device() const { return device_; }

 private:
  void set_up(const std::string& options) {
    if (!run_cmd({"mkfs.xfs", "-V"}).ok()) {
      unavailable_ = "mkfs.xfs is not installed (xfsprogs)";
      return;
    }
    std::string tmpl = "/tmp/berth-disk-it-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      unavailable_ = std::string("mkdtemp: ") + std::strerror(errno);
      return;
    }
    dir_ = tmpl;
    loop_ = std::make_unique<LoopDevice>(dir_ + "/xfs.img", kImageBytes);
    if (!loop_->ok()) {
      unavailable_ = loop_->error();
      return;
    }
    device_ = loop_->path();
    if (RunResult r = run_cmd({"mkfs.xfs", "-q", device_}); !r.ok()) {
      unavailable_ = "mkfs.xfs failed: " + r.err;
      return;
    }
    mount_point_ = dir_ + "/mnt";
    if (::mkdir(mount_point_.c_str(), 0755) != 0) {
      unavailable_ = "mkdir " + mount_point_ + ": " + std::strerror(errno);
      return;
    }
    std::vector<std::string> args = {"-t", "xfs", device_, mount_point_};
    if (!options.empty()) args.insert(args.end(), {"-o", options});
    if (auto s = mount_fs(args); !s) {
      unavailable_ = s.error().message() + " (a kernel without CONFIG_XFS_QUOTA refuses prjquota)";
      return;
    }
    mounted_ = true;
  }

  void tear_down() {
    if (mounted_) unmount(mount_point_);
    loop_.reset();  // detached only once nothing is mounted from it
    if (!dir_.empty()) {
      if (auto s = remove_tree(dir_); !s) ADD_FAILURE() << s.error().message();
    }
  }

  std::string unavailable_;
  std::string dir_;
  std::unique_ptr<LoopDevice> loop_;
  std::string device_;
  std::string mount_point_;
  bool mounted_ = false;
};

// A tmpfs mounted at `path` for one test, unmounted by that path.
class TmpfsMount {
 public:
  explicit TmpfsMount(std::string path) : path_(std::move(path)) {
    if (auto s = mount_fs({"-t", "tmpfs", "-o", "size=16m", "tmpfs", path_}); !s) error_ = s.error().message();
  }
  ~TmpfsMount() {
    if (error_.empty()) unmount(path_);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  TmpfsMount(TmpfsMount&&) = delete;
  TmpfsMount& operator=(TmpfsMount&&) = delete;
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string error_;
};

ContainerConfig disk_container(const std::string& id, const std::string& sandbox, uint64_t limit) {
  ContainerConfig c{.id = id, .cgroup = "/berth/" + id, .sandbox_dir = sandbox, .resources = {}};
  c.resources.disk_bytes = limit;
  return c;
}

// Runs `script` in a busybox container that sees `sandbox` at /sandbox.
RunResult run_with_sandbox(const std::string& sandbox, const std::string& script) {
  BundleFixture fx;
  if (!fx.ok()) {
    ADD_FAILURE() << fx.error();
    return {};
  }
  add_bind_mount(fx, sandbox, "/sandbox");
  set_args(fx, {"sh", "-c", script});
  fx.save_config();
  return run_container(fx);
}

#define SKIP_UNLESS_XFS(xfs)                                                            \
  do {                                                                                  \
    if (!(xfs).unavailable().empty())                                                   \
      GTEST_SKIP() << "needs an XFS loop mount with prjquota: " << (xfs).unavailable(); \
  } while (0)

TEST(XfsProjectQuota, ContainerWritingPastItsQuotaGetsDiskQuotaExceeded) {
  skip_unless_root();
  XfsLoopMount xfs("prjquota");
  SKIP_UNLESS_XFS(xfs);
  const std::string sandbox = xfs.mount_point() + "/c1";
  ASSERT_TRUE(mkdir_p(sandbox).ok());
  DiskIsolator iso(DiskIsolatorOptions{.scan_interval = 0ms});
  auto c = disk_container("disk-hard", sandbox, 8 * kMiB);
  LaunchAdditions out;
  auto prepared = iso.prepare(c, out);
  ASSERT_TRUE(prepared.ok()) << prepared.error().message();
  auto id = project_id_of(sandbox);
  ASSERT_TRUE(id.ok()) << id.error().message();
  EXPECT_TRUE(ProjectIdRange{}.contains(*id)) << *id;

  RunResult r = run_with_sandbox(sandbox, "dd if=/dev/zero of=/sandbox/big bs=1M count=16");
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_NE(r.err.find("Disk quota exceeded"), std::string::npos) << r;

  Usage u;
  auto used = iso.usage(c, u);
  ASSERT_TRUE(used.ok()) << used.error().message();
  EXPECT_EQ(u.disk_limit_bytes, 8 * kMiB);
  ASSERT_TRUE(u.disk_used_bytes.has_value());
  EXPECT_GE(*u.disk_used_bytes, 4 * kMiB);
  EXPECT_LE(*u.disk_used_bytes, 8 * kMiB);
  auto l = iso.check(c);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_FALSE(l->has_value()) << "the kernel enforces: nothing to report";

  auto cleaned = iso.cleanup(c);
  ASSERT_TRUE(cleaned.ok()) << cleaned.error().message();
  auto q = project_quota(xfs.device(), *id);
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_EQ(q->limit_bytes, 0U);
  EXPECT_EQ(*project_id_of(sandbox), 0U);
}

TEST(XfsProjectQuota, FilesAlreadyInTheSandboxCountAndARestartKeepsTheQuota) {
  skip_unless_root();
  XfsLoopMount xfs("prjquota");
  SKIP_UNLESS_XFS(xfs);
  const std::string sandbox = xfs.mount_point() + "/c2";
  ASSERT_TRUE(mkdir_p(sandbox + "/layer/etc").ok());
  ASSERT_TRUE(write_file(sandbox + "/layer/etc/data", std::string(2 * kMiB, 'x')).ok());
  ASSERT_EQ(::symlink("/etc/passwd", (sandbox + "/layer/link").c_str()), 0);
  auto c = disk_container("disk-restart", sandbox, 8 * kMiB);
  {
    DiskIsolator before_restart;
    LaunchAdditions out;
    auto prepared = before_restart.prepare(c, out);
    ASSERT_TRUE(prepared.ok()) << prepared.error().message();
  }
  DiskIsolator iso;
  auto recovered = iso.recover({c});
  ASSERT_TRUE(recovered.ok()) << recovered.error().message();
  Usage u;
  ASSERT_TRUE(iso.usage(c, u).ok());
  EXPECT_EQ(u.disk_limit_bytes, 8 * kMiB);
  EXPECT_GE(u.disk_used_bytes.value_or(0), 2 * kMiB) << "the file made before prepare is not counted";

  isolators::ResourceRequest next = c.resources;
  next.disk_bytes = 16 * kMiB;
  ASSERT_TRUE(iso.update(c, next).ok());
  ASSERT_TRUE(iso.usage(c, u).ok());
  EXPECT_EQ(u.disk_limit_bytes, 16 * kMiB);

  // A second container on the same file system never shares the project id.
  ASSERT_TRUE(mkdir_p(xfs.mount_point() + "/c3").ok());
  auto other = disk_container("disk-other", xfs.mount_point() + "/c3", kMiB);
  LaunchAdditions out;
  ASSERT_TRUE(iso.prepare(other, out).ok());
  EXPECT_NE(*project_id_of(xfs.mount_point() + "/c3"), *project_id_of(sandbox));

  const uint32_t id = *project_id_of(sandbox);
  ASSERT_TRUE(iso.cleanup(c).ok());
  ASSERT_TRUE(iso.cleanup(other).ok());
  EXPECT_EQ(project_quota(xfs.device(), id)->limit_bytes, 0U);
  EXPECT_EQ(*project_id_of(sandbox + "/layer/etc"), 0U) << "the label stayed on a subdirectory";
}

// FS_IOC_FSGETXATTR of a file or directory, not following a symlink.
Result<fsxattr> attr_of(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + path);
  fsxattr attr{};
  if (::ioctl(fd.get(), FS_IOC_FSGETXATTR, &attr) != 0) return Error::from_errno("FS_IOC_FSGETXATTR " + path);
  return attr;
}

uint32_t projid_of(const std::string& path) {
  auto attr = attr_of(path);
  EXPECT_TRUE(attr.ok()) << attr.error().message();
  return attr ? attr->fsx_projid : 0xffffffff;
}

// XFS stores project ids whether or not quotas are on, so the labelling runs on any XFS.
TEST(DiskProjectIds, SandboxTreeIsLabelledAndWhatIsMadeLaterInheritsTheId) {
  skip_unless_root();
  XfsLoopMount xfs("");
  SKIP_UNLESS_XFS(xfs);
  const std::string dir = xfs.mount_point() + "/c1";
  ASSERT_TRUE(mkdir_p(dir + "/layer/etc").ok());
  ASSERT_TRUE(write_file(dir + "/layer/etc/hosts", "127.0.0.1 localhost\n").ok());
  ASSERT_EQ(::symlink("/etc/passwd", (dir + "/layer/passwd").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir + "/layer/fifo").c_str(), 0600), 0);  // must not be opened (it would block)

  auto labelled = set_project_id_tree(dir, 1000007);
  ASSERT_TRUE(labelled.ok()) << labelled.error().message();
  EXPECT_EQ(*project_id_of(dir), 1000007U);
  EXPECT_EQ(projid_of(dir + "/layer/etc"), 1000007U);
  EXPECT_EQ(projid_of(dir + "/layer/etc/hosts"), 1000007U);
  EXPECT_TRUE(attr_of(dir + "/layer/etc")->fsx_xflags & FS_XFLAG_PROJINHERIT);
  ASSERT_TRUE(write_file(dir + "/layer/etc/later", "x").ok());
  ASSERT_TRUE(mkdir_p(dir + "/layer/etc/later-dir").ok());
  EXPECT_EQ(projid_of(dir + "/layer/etc/later"), 1000007U) << "a new file did not inherit the id";
  EXPECT_EQ(projid_of(dir + "/layer/etc/later-dir"), 1000007U) << "a new directory did not inherit the id";

  auto cleared = set_project_id_tree(dir, 0);
  ASSERT_TRUE(cleared.ok()) << cleared.error().message();
  EXPECT_EQ(projid_of(dir + "/layer/etc/later"), 0U);
  EXPECT_FALSE(attr_of(dir + "/layer/etc")->fsx_xflags & FS_XFLAG_PROJINHERIT);
  ASSERT_TRUE(write_file(dir + "/layer/etc/after", "x").ok());
  EXPECT_EQ(projid_of(dir + "/layer/etc/after"), 0U);
}

// An XFS the mount table claims has prjquota while the kernel cannot apply it (quota off, or
// no quotactl at all): prepare refuses, naming the device, and leaves the sandbox unlabelled.
TEST(DiskProjectIds, PrepareWhereTheKernelCannotEnforceRefusesAndLabelsNothing) {
  skip_unless_root();
  XfsLoopMount xfs("");
  SKIP_UNLESS_XFS(xfs);
  const std::string dir = xfs.mount_point() + "/c1";
  ASSERT_TRUE(mkdir_p(dir).ok());
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  TempDir tmp("berth-disk-it-");
  ASSERT_TRUE(write_file(tmp.path("mountinfo"), "99 1 " + std::to_string(major(st.st_dev)) + ":" +
                                                    std::to_string(minor(st.st_dev)) + " / " + xfs.mount_point() +
                                                    " rw - xfs " + xfs.device() + " rw,prjquota\n")
                  .ok());
  DiskIsolator iso(DiskIsolatorOptions{.mountinfo_path = tmp.path("mountinfo")});
  auto c = disk_container("disk-noquota", dir, 8 * kMiB);
  LaunchAdditions out;
  auto prepared = iso.prepare(c, out);
  ASSERT_FALSE(prepared.ok());
  EXPECT_NE(prepared.error().message().find(xfs.device()), std::string::npos) << prepared.error().message();
  EXPECT_NE(prepared.error().message().find("quotactl"), std::string::npos) << prepared.error().message();
  EXPECT_EQ(*project_id_of(dir), 0U);
  EXPECT_TRUE(iso.cleanup(c).ok());
}

TEST(DiskScan, ContainerWritingPastItsLimitIsReportedAndKilledByPolicy) {
  skip_unless_root();
  TempDir tmp("berth-disk-it-");
  const std::string sandbox = tmp.path("sandbox");
  ASSERT_TRUE(mkdir_p(sandbox).ok());
  auto mountinfo = read_file("/proc/self/mountinfo");
  ASSERT_TRUE(mountinfo.ok());
  if (xfs_project_quota_mount(*mountinfo, sandbox)) GTEST_SKIP() << "/tmp is XFS with prjquota: nothing to scan";

  DiskIsolator report(DiskIsolatorOptions{.on_limit = DiskLimitAction::kReport, .scan_interval = 0ms});
  DiskIsolator kill(DiskIsolatorOptions{.on_limit = DiskLimitAction::kKill, .scan_interval = 0ms});
  auto c = disk_container("disk-soft", sandbox, kMiB);
  LaunchAdditions out;
  ASSERT_TRUE(report.prepare(c, out).ok());
  ASSERT_TRUE(kill.prepare(c, out).ok());
  auto before = report.check(c);
  ASSERT_TRUE(before.ok()) << before.error().message();
  EXPECT_FALSE(before->has_value());

  RunResult r = run_with_sandbox(sandbox, "dd if=/dev/zero of=/sandbox/big bs=1M count=4");
  ASSERT_TRUE(r.ok()) << r;

  auto reported = report.check(c);
  ASSERT_TRUE(reported.ok()) << reported.error().message();
  ASSERT_TRUE(reported->has_value());
  EXPECT_EQ((*reported)->resource, "disk");
  EXPECT_EQ((*reported)->reason, kDiskLimitReason);
  EXPECT_FALSE((*reported)->kill);
  EXPECT_NE((*reported)->message.find(sandbox), std::string::npos) << (*reported)->message;
  auto killed = kill.check(c);
  ASSERT_TRUE(killed.ok() && killed->has_value());
  EXPECT_TRUE((*killed)->kill);

  Usage u;
  ASSERT_TRUE(report.usage(c, u).ok());
  EXPECT_GE(u.disk_used_bytes.value_or(0), 4 * kMiB);
  EXPECT_EQ(u.disk_limit_bytes, kMiB);
  EXPECT_TRUE(report.cleanup(c).ok());
  EXPECT_TRUE(kill.cleanup(c).ok());
}

TEST(DiskScan, AnotherFileSystemMountedInsideIsNotCounted) {
  skip_unless_root();
  TempDir tmp("berth-disk-it-");
  ASSERT_TRUE(mkdir_p(tmp.path("sandbox/volume")).ok());
  auto before = used_bytes(tmp.path("sandbox"));
  ASSERT_TRUE(before.ok()) << before.error().message();
  TmpfsMount volume(tmp.path("sandbox/volume"));
  ASSERT_TRUE(volume.error().empty()) << volume.error();
  ASSERT_TRUE(write_file(tmp.path("sandbox/volume/big"), std::string(4 * kMiB, 'x')).ok());

  auto after = used_bytes(tmp.path("sandbox"));
  ASSERT_TRUE(after.ok()) << after.error().message();
  EXPECT_LT(*after, *before + kMiB);
}

}  // namespace
}  // namespace berth::integration
