// The disk isolator on a file system it has to scan (the mount table it reads is the test's
// own): the limit is checked against the scan, the policy decides kill, scans are throttled,
// and update, recover and cleanup move the limit as the container's record says.
#include "isolators/disk/disk_isolator.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <chrono>
#include <string>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::isolators::disk {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kLimit = uint64_t{256} * 1024;

class DiskIsolatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    ASSERT_TRUE(mkdir_p(sandbox()).ok());
    // Everything is on one ext4 root: the isolator has to scan.
    set_mount_table("27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n");
    options_.mountinfo_path = tmp_.path("mountinfo");
    options_.scan_interval = 0ms;
    options_.clock = [this] { return now_; };
  }

  void set_mount_table(const std::string& text) { ASSERT_TRUE(write_file(tmp_.path("mountinfo"), text).ok()); }
  [[nodiscard]] std::string sandbox() const { return tmp_.path("sandbox"); }
  [[nodiscard]] ContainerConfig container(std::optional<uint64_t> disk_bytes = kLimit) const {
    ContainerConfig c{.id = "c1", .cgroup = "/berth/c1", .sandbox_dir = sandbox(), .resources = {}};
    c.resources.disk_bytes = disk_bytes;
    return c;
  }
  void write_bytes(const std::string& name, uint64_t bytes) {
    ASSERT_TRUE(write_file(path_join(sandbox(), name), std::string(bytes, 'x')).ok());
  }
  static void prepare(DiskIsolator& iso, const ContainerConfig& c) {
    LaunchAdditions out;
    auto s = iso.prepare(c, out);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_TRUE(out.mounts.empty() && out.devices.empty() && out.env.empty());
  }
  static std::optional<Limitation> check(DiskIsolator& iso, const ContainerConfig& c) {
    auto l = iso.check(c);
    EXPECT_TRUE(l.ok()) << l.error().message();
    return l ? *l : std::nullopt;
  }

  TempDir tmp_{"berth-disktest-"};
  DiskIsolatorOptions options_;
  std::chrono::steady_clock::time_point now_{};
};

TEST_F(DiskIsolatorTest, UnderTheLimitNothingIsReported) {
  DiskIsolator iso(options_);
  auto c = container();
  prepare(iso, c);
  write_bytes("small", kLimit / 4);
  EXPECT_FALSE(check(iso, c).has_value());
}

TEST_F(DiskIsolatorTest, OverTheLimitIsReportedWithUsedLimitAndDirectory) {
  DiskIsolator iso(options_);
  auto c = container();
  prepare(iso, c);
  write_bytes("big", 2 * kLimit);
  auto l = check(iso, c);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->resource, "disk");
  EXPECT_EQ(l->reason, "DiskLimitExceeded");
  EXPECT_FALSE(l->kill) << "the default policy only reports";
  EXPECT_NE(l->message.find(std::to_string(kLimit) + " bytes"), std::string::npos) << l->message;
  EXPECT_NE(l->message.find(sandbox()), std::string::npos) << l->message;
  EXPECT_NE(l->message.find("c1"), std::string::npos) << l->message;
  Usage u;
  ASSERT_TRUE(iso.usage(c, u).ok());
  ASSERT_TRUE(u.disk_used_bytes.has_value());
  EXPECT_NE(l->message.find(std::to_string(*u.disk_used_bytes) + " bytes used"), std::string::npos) << l->message;
}

TEST_F(DiskIsolatorTest, KillPolicyAsksTheEngineToStopTheContainer) {
  options_.on_limit = DiskLimitAction::kKill;
  DiskIsolator iso(options_);
  auto c = container();
  prepare(iso, c);
  write_bytes("big", 2 * kLimit);
  auto l = check(iso, c);
  ASSERT_TRUE(l.has_value());
  EXPECT_TRUE(l->kill);
}

TEST_F(DiskIsolatorTest, UsageReportsScannedBytesAndTheLimit) {
  DiskIsolator iso(options_);
  auto c = container();
  prepare(iso, c);
  write_bytes("data", kLimit / 2);
  Usage u;
  ASSERT_TRUE(iso.usage(c, u).ok());
  ASSERT_TRUE(u.disk_used_bytes.has_value());
  EXPECT_GE(*u.disk_used_bytes, kLimit / 2);
  EXPECT_EQ(u.disk_limit_bytes, kLimit);
}

TEST_F(DiskIsolatorTest, WithinTheScanIntervalTheLastScanIsReused) {
  options_.scan_interval = 10s;
  DiskIsolator iso(options_);
  auto c = container();
  prepare(iso, c);
  EXPECT_FALSE(check(iso, c).has_value());  // scans: empty
  write_bytes("big", 2 * kLimit);
  now_ += 9s;
  EXPECT_FALSE(check(iso, c).has_value()) << "rescanned before the interval passed";
  now_ += 1s;
  EXPECT_TRUE(check(iso, c).has_value()) << "did not rescan once the interval passed";
}

TEST_F(DiskIsolatorTest, WithoutADiskLimitNothingIsWatched) {
  DiskIsolator iso(options_);
  auto c = container(std::nullopt);
  prepare(iso, c);
  write_bytes("big", 2 * kLimit);
  EXPECT_FALSE(check(iso, c).has_value());
  Usage u;
  ASSERT_TRUE(iso.usage(c, u).ok());
  EXPECT_FALSE(u.disk_used_bytes.has_value());
  EXPECT_FALSE(u.disk_limit_bytes.has_value());
}

TEST_F(DiskIsolatorTest, MissingSandboxDirectoryIsRefusedNamingIt) {
  DiskIsolator iso(options_);
  auto c = container();
  c.sandbox_dir = tmp_.path("absent");
  LaunchAdditions out;
  auto s = iso.prepare(c, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find(tmp_.path("absent")), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("c1"), std::string::npos) << s.error().message();
}

TEST_F(DiskIsolatorTest, ZeroLimitIsRefusedRatherThanTakenAsNoLimit) {
  DiskIsolator iso(options_);
  LaunchAdditions out;
  EXPECT_EQ(iso.prepare(container(0), out).error().code(), EINVAL);
}

TEST_F(DiskIsolatorTest, UpdateMovesTheLimit) {
  DiskIsolator iso(options_);
  auto c = container();
  prepare(iso, c);
  write_bytes("big", 2 * kLimit);
  ASSERT_TRUE(check(iso, c).has_value());

  ResourceRequest next = c.resources;
  next.disk_bytes = 8 * kLimit;
  ASSERT_TRUE(iso.update(c, next).ok());
  EXPECT_FALSE(check(iso, c).has_value());
  Usage u;
  ASSERT_TRUE(iso.usage(c, u).ok());
  EXPECT_EQ(u.disk_limit_bytes, 8 * kLimit);

  next.disk_bytes.reset();
  ASSERT_TRUE(iso.update(c, next).ok());
  Usage none;
  ASSERT_TRUE(iso.usage(c, none).ok());
  EXPECT_FALSE(none.disk_limit_bytes.has_value()) << "the limit was lifted";
}

TEST_F(DiskIsolatorTest, UpdateAddsALimitToAContainerStartedWithout) {
  DiskIsolator iso(options_);
  auto c = container(std::nullopt);
  prepare(iso, c);
  write_bytes("big", 2 * kLimit);
  ResourceRequest next;
  next.disk_bytes = kLimit;
  ASSERT_TRUE(iso.update(c, next).ok());
  EXPECT_TRUE(check(iso, c).has_value());
}

TEST_F(DiskIsolatorTest, CleanupForgetsTheContainerAndIsSafeTwice) {
  DiskIsolator iso(options_);
  auto c = container();
  prepare(iso, c);
  write_bytes("big", 2 * kLimit);
  ASSERT_TRUE(iso.cleanup(c).ok());
  EXPECT_TRUE(iso.cleanup(c).ok());
  EXPECT_FALSE(check(iso, c).has_value());
  prepare(iso, c);  // and the id can be prepared again
}

TEST_F(DiskIsolatorTest, RecoveredContainerIsWatchedAgain) {
  auto c = container();
  write_bytes("big", 2 * kLimit);
  DiskIsolator iso(options_);
  ASSERT_TRUE(iso.recover({c}).ok());
  EXPECT_TRUE(check(iso, c).has_value());
}

TEST_F(DiskIsolatorTest, RecoverSkipsAContainerWhoseSandboxIsGone) {
  auto c = container();
  c.sandbox_dir = tmp_.path("removed");
  DiskIsolator iso(options_);
  auto s = iso.recover({c});
  EXPECT_TRUE(s.ok()) << s.error().message();
  EXPECT_FALSE(check(iso, c).has_value());
}

// An XFS prjquota mount whose source is no block device: the isolator must refuse rather than
// fall back to a soft limit the operator did not ask for.
TEST_F(DiskIsolatorTest, XfsMountWithoutAUsableBlockDeviceIsRefused) {
  struct stat st {};
  ASSERT_EQ(::stat(sandbox().c_str(), &st), 0);
  set_mount_table("27 1 " + std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev)) +
                  " / / rw - xfs /dev/null rw,prjquota\n");
  DiskIsolator iso(options_);
  auto c = container();
  LaunchAdditions out;
  auto s = iso.prepare(c, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("/dev/null"), std::string::npos) << s.error().message();
  EXPECT_TRUE(iso.cleanup(c).ok());
}

// A mount table that says XFS but names another device than the directory is on (something was
// mounted over it since) is no ground for a quota: the directory is scanned.
TEST_F(DiskIsolatorTest, MountTableThatDisagreesWithTheDirectoryFallsBackToScanning) {
  set_mount_table("27 1 7:99 / / rw - xfs /dev/null rw,prjquota\n");
  DiskIsolator iso(options_);
  auto c = container();
  prepare(iso, c);
  write_bytes("big", 2 * kLimit);
  EXPECT_TRUE(check(iso, c).has_value());
}

}  // namespace
}  // namespace berth::isolators::disk
