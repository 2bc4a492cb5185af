// Telling from a mount table (mountinfo text, as the kernel writes it) whether a sandbox
// directory sits on XFS with project quotas enforced, and on which block device.
#include "isolators/disk/quota_mount.h"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include <string>

namespace berth::isolators::disk {
namespace {

constexpr const char* kTable =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n"
    "40 27 7:5 / /mnt/x rw,relatime shared:12 master:3 - xfs /dev/loop5 rw,attr2,inode64,prjquota\n"
    "41 27 7:6 / /mnt/data rw,relatime - xfs /dev/loop6 rw,attr2,inode64,noquota\n"
    "42 27 7:7 / /mnt/my\\040disk rw - xfs /dev/loop7 rw,pquota\n"
    "43 27 254:1 / /mnt/ext rw - ext4 /dev/vdb rw,prjquota\n"
    "44 27 7:8 / /mnt/acct rw - xfs /dev/loop8 rw,pqnoenforce\n";

TEST(XfsQuotaMount, XfsWithPrjquotaIsFoundWithItsBlockDevice) {
  auto m = xfs_project_quota_mount(kTable, "/mnt/x/sandboxes/c1");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->source, "/dev/loop5");
  EXPECT_EQ(m->mount_point, "/mnt/x");
  EXPECT_EQ(m->dev, ::makedev(7, 5));
}

TEST(XfsQuotaMount, TheMountPointItselfIsHeld) { EXPECT_TRUE(xfs_project_quota_mount(kTable, "/mnt/x").has_value()); }

TEST(XfsQuotaMount, PquotaAliasCountsAndEscapedPathsAreUndone) {
  auto m = xfs_project_quota_mount(kTable, "/mnt/my disk/c1");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->source, "/dev/loop7");
}

TEST(XfsQuotaMount, XfsWithoutProjectQuotaIsScannedInstead) {
  EXPECT_FALSE(xfs_project_quota_mount(kTable, "/mnt/data/c1").has_value());
}

TEST(XfsQuotaMount, AccountingOnlyCannotEnforceAndIsScannedInstead) {
  EXPECT_FALSE(xfs_project_quota_mount(kTable, "/mnt/acct/c1").has_value());
}

TEST(XfsQuotaMount, Ext4WithPrjquotaIsNotTakenForXfs) {
  EXPECT_FALSE(xfs_project_quota_mount(kTable, "/mnt/ext/c1").has_value());
}

TEST(XfsQuotaMount, APathThatOnlySharesAPrefixIsNotUnderTheMount) {
  // "/mnt/xy" is on /, not on /mnt/x.
  EXPECT_FALSE(xfs_project_quota_mount(kTable, "/mnt/xy/c1").has_value());
  auto m = mount_holding(parse_mountinfo(kTable), "/mnt/xy/c1");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->mount_point, "/");
}

TEST(XfsQuotaMount, TheDeepestMountWins) {
  std::string table = std::string(kTable) + "50 40 0:60 / /mnt/x/c1/tmp rw - tmpfs tmpfs rw\n";
  EXPECT_TRUE(xfs_project_quota_mount(table, "/mnt/x/c1").has_value());
  EXPECT_FALSE(xfs_project_quota_mount(table, "/mnt/x/c1/tmp/file").has_value());
}

TEST(XfsQuotaMount, TheLaterMountOnTheSamePointIsOnTop) {
  std::string table = std::string(kTable) + "51 27 0:61 / /mnt/x rw - tmpfs tmpfs rw\n";
  EXPECT_FALSE(xfs_project_quota_mount(table, "/mnt/x/c1").has_value());
}

TEST(XfsQuotaMount, MalformedLinesAreSkipped) {
  auto mounts = parse_mountinfo("garbage\n40 27 7:5 / /mnt/x rw - xfs\n\n27 1 254:0 / / rw - ext4 /dev/vda rw\n");
  ASSERT_EQ(mounts.size(), 1U);
  EXPECT_EQ(mounts[0].mount_point, "/");
}

}  // namespace
}  // namespace berth::isolators::disk
