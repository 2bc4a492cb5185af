#include "runtime/linux/mount_options.h"

#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sys/mount.h>

#include <string>
#include <vector>

namespace berth::rt {
namespace {

MountFlags parsed(const std::vector<std::string>& options) {
  auto r = parse_mount_options(options);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : MountFlags{};
}

TEST(MountOptions, NoOptionsMeanNoFlagsAndNoData) {
  MountFlags f = parsed({});
  EXPECT_EQ(f.flags, 0UL);
  EXPECT_EQ(f.propagation, 0UL);
  EXPECT_EQ(f.recursive_set, 0U);
  EXPECT_EQ(f.recursive_clear, 0U);
  EXPECT_EQ(f.data, "");
  EXPECT_FALSE(f.tmpcopyup);
  EXPECT_FALSE(f.idmap);
  EXPECT_FALSE(f.is_bind());
}

TEST(MountOptions, FlagOptionsBecomeMountFlags) {
  MountFlags f = parsed({"nosuid", "nodev", "noexec", "ro", "noatime", "nosymfollow", "sync", "dirsync"});
  EXPECT_EQ(f.flags,
            MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY | MS_NOATIME | MS_NOSYMFOLLOW | MS_SYNCHRONOUS | MS_DIRSYNC);
  EXPECT_EQ(f.data, "") << "flag options are not file-system data";
}

TEST(MountOptions, ALaterOptionUndoesAnEarlierOne) {
  EXPECT_EQ(parsed({"ro", "rw"}).flags, 0UL);
  EXPECT_EQ(parsed({"rw", "ro"}).flags, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(parsed({"nosuid", "suid", "nodev", "dev", "noexec", "exec"}).flags, 0UL);
  EXPECT_EQ(parsed({"noatime", "atime"}).flags, 0UL);
  EXPECT_EQ(parsed({"sync", "async"}).flags, 0UL);
}

TEST(MountOptions, DefaultsSetNothing) { EXPECT_EQ(parsed({"defaults"}).flags, 0UL); }

TEST(MountOptions, BindAndRbindAreBindMounts) {
  MountFlags bind = parsed({"bind"});
  EXPECT_EQ(bind.flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_TRUE(bind.is_bind());
  MountFlags rbind = parsed({"rbind", "ro"});
  EXPECT_EQ(rbind.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
  EXPECT_TRUE(rbind.is_bind());
}

TEST(MountOptions, PropagationIsKeptApartFromTheFlags) {
  MountFlags f = parsed({"rbind", "rslave"});
  EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(f.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
}

TEST(MountOptions, EveryPropagationNameMapsToItsFlags) {
  EXPECT_EQ(parsed({"private"}).propagation, static_cast<unsigned long>(MS_PRIVATE));
  EXPECT_EQ(parsed({"rprivate"}).propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(parsed({"shared"}).propagation, static_cast<unsigned long>(MS_SHARED));
  EXPECT_EQ(parsed({"rshared"}).propagation, static_cast<unsigned long>(MS_SHARED | MS_REC));
  EXPECT_EQ(parsed({"slave"}).propagation, static_cast<unsigned long>(MS_SLAVE));
  EXPECT_EQ(parsed({"rslave"}).propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(parsed({"unbindable"}).propagation, static_cast<unsigned long>(MS_UNBINDABLE));
  EXPECT_EQ(parsed({"runbindable"}).propagation, static_cast<unsigned long>(MS_UNBINDABLE | MS_REC));
}

TEST(MountOptions, TheLastPropagationWins) {
  EXPECT_EQ(parsed({"shared", "rprivate"}).propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
}

TEST(MountOptions, RecursiveOptionsSetOrClearMountAttributes) {
  MountFlags f = parsed({"rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnosymfollow"});
  EXPECT_EQ(f.recursive_set,
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSYMFOLLOW);
  EXPECT_EQ(f.recursive_clear, 0U);
  EXPECT_EQ(f.flags & MS_RDONLY, 0UL) << "rro is not the non-recursive ro";

  MountFlags cleared = parsed({"rrw", "rsuid", "rdev", "rexec", "rsymfollow"});
  EXPECT_EQ(cleared.recursive_set, 0U);
  EXPECT_EQ(cleared.recursive_clear,
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSYMFOLLOW);
}

TEST(MountOptions, ALaterRecursiveOptionUndoesAnEarlierOne) {
  MountFlags rw = parsed({"rro", "rrw"});
  EXPECT_EQ(rw.recursive_set, 0U);
  EXPECT_EQ(rw.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  MountFlags ro = parsed({"rrw", "rro"});
  EXPECT_EQ(ro.recursive_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_EQ(ro.recursive_clear, 0U);
}

TEST(MountOptions, RecursiveAtimeOptionsMapToTheirAttributes) {
  EXPECT_EQ(parsed({"rnoatime"}).recursive_set, static_cast<uint64_t>(MOUNT_ATTR_NOATIME));
  EXPECT_EQ(parsed({"rrelatime"}).recursive_set, static_cast<uint64_t>(MOUNT_ATTR_RELATIME));
  EXPECT_EQ(parsed({"rstrictatime"}).recursive_set, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
  EXPECT_EQ(parsed({"rnodiratime"}).recursive_set, static_cast<uint64_t>(MOUNT_ATTR_NODIRATIME));
  EXPECT_EQ(parsed({"ratime"}).recursive_clear, static_cast<uint64_t>(MOUNT_ATTR_NOATIME));
}

TEST(MountOptions, UnknownOptionsGoToTheFileSystemAsDataInOrder) {
  MountFlags f = parsed({"nosuid", "mode=755", "size=65536k", "noexec", "uid=1000"});
  EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
  EXPECT_EQ(f.data, "mode=755,size=65536k,uid=1000");
}

TEST(MountOptions, EmptyOptionsAreSkipped) {
  MountFlags f = parsed({"", "mode=1777", "", "ro"});
  EXPECT_EQ(f.data, "mode=1777");
  EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_RDONLY));
}

TEST(MountOptions, TmpcopyupIsABerthOptionNotData) {
  MountFlags f = parsed({"tmpcopyup", "mode=755"});
  EXPECT_TRUE(f.tmpcopyup);
  EXPECT_EQ(f.data, "mode=755");
}

TEST(MountOptions, IdmapAndRidmapAskForAnIdmappedMount) {
  EXPECT_TRUE(parsed({"idmap"}).idmap);
  EXPECT_TRUE(parsed({"rbind", "ridmap"}).idmap);
  EXPECT_EQ(parsed({"idmap"}).data, "");
  EXPECT_FALSE(parsed({"bind"}).idmap);
}

TEST(RootfsPropagation, NamesMapToMountFlags) {
  EXPECT_EQ(parse_propagation("rslave").value(), static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(parse_propagation("private").value(), static_cast<unsigned long>(MS_PRIVATE));
  EXPECT_EQ(parse_propagation("runbindable").value(), static_cast<unsigned long>(MS_UNBINDABLE | MS_REC));
}

TEST(RootfsPropagation, UnknownNameIsAnErrorNamingTheField) {
  auto r = parse_propagation("rsomething");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().message(), "linux.rootfsPropagation: unknown propagation \"rsomething\"");
  EXPECT_FALSE(parse_propagation("").ok());
  EXPECT_FALSE(parse_propagation("nosuid").ok()) << "a flag option is not a propagation";
}

}  // namespace
}  // namespace berth::rt
