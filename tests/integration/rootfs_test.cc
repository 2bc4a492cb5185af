// The container's file system as a process inside sees it: read-only root, masked and
// read-only paths, bind and tmpfs mounts, devices and /dev links, sysctls, propagation,
// --no-pivot, the cgroup view, and mount destinations that try to leave the rootfs.
// Runs real busybox containers: needs root.
#include <rapidjson/document.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

void set_paths(BundleFixture& fx, const char* field, const std::vector<std::string>& paths) {
  auto& config = fx.config();
  set_member(config["linux"], field, string_array(paths, config.GetAllocator()), config.GetAllocator());
}

void set_sysctl(BundleFixture& fx, const std::string& key, const std::string& value) {
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value sysctl(rapidjson::kObjectType);
  sysctl.AddMember(rapidjson::Value(key.c_str(), a), rapidjson::Value(value.c_str(), a), a);
  set_member(config["linux"], "sysctl", std::move(sysctl), a);
}

// A host directory /tmp/berth-it-host-target-XXXXXX outside every bundle, removed at scope exit.
class HostDir {
 public:
  HostDir() {
    std::string tmpl = "/tmp/berth-it-host-target-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~HostDir() {
    if (path_.empty()) return;
    for (const auto& m : mount_points_under(path_)) ::umount2(m.c_str(), MNT_DETACH);
    (void)remove_tree(path_);
  }
  HostDir(const HostDir&) = delete;
  HostDir& operator=(const HostDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Makes `dir` a shared bind mount of itself for the scope; on exit detaches everything
// mounted at or below it (deepest first), so the fixture can remove the tree.
class SharedMount {
 public:
  explicit SharedMount(std::string dir) : dir_(std::move(dir)) {
    if (::mount(dir_.c_str(), dir_.c_str(), nullptr, MS_BIND, nullptr) != 0) return;
    mounted_ = true;
    ok_ = ::mount("", dir_.c_str(), nullptr, MS_SHARED, nullptr) == 0;
  }
  ~SharedMount() {
    if (!mounted_) return;
    auto mounts = mount_points_under(dir_);
    std::sort(mounts.rbegin(), mounts.rend());
    for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
    ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SharedMount(const SharedMount&) = delete;
  SharedMount& operator=(const SharedMount&) = delete;
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  bool ok_ = false;
};

class Rootfs : public ::testing::Test {
 protected:
  void SetUp() override { skip_unless_root(); }
};

TEST_F(Rootfs, ReadonlyRootRefusesWrites) {
  BundleFixture fx({.args = {"sh", "-c", "touch /made-in-container; echo rc=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  fx.config()["root"]["readonly"].SetBool(true);
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "rc=1\n");
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r;
  EXPECT_FALSE(path_exists(fx.rootfs() + "/made-in-container"));
}

TEST_F(Rootfs, WritableRootAcceptsWrites) {
  BundleFixture fx({.args = {"touch", "/made-in-container"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(path_exists(fx.rootfs() + "/made-in-container"));
}

TEST_F(Rootfs, MaskedPathReadsEmpty) {
  BundleFixture fx({.args = {"sh", "-c", "cat /etc/secret; echo rc=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  ASSERT_TRUE(write_file(fx.rootfs() + "/etc/secret", "s3cret\n").ok());
  set_paths(fx, "maskedPaths", {"/etc/secret"});
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "rc=0\n") << "the masked file is readable and must read empty";
}

TEST_F(Rootfs, MaskedDirectoryListsEmpty) {
  BundleFixture fx({.args = {"sh", "-c", "ls -A /opt/hidden; touch /opt/hidden/new; echo rc=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  ASSERT_TRUE(mkdir_p(fx.rootfs() + "/opt/hidden/sub").ok());
  ASSERT_TRUE(write_file(fx.rootfs() + "/opt/hidden/file", "x").ok());
  set_paths(fx, "maskedPaths", {"/opt/hidden"});
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "rc=1\n") << "the masked directory lists entries or is writable";
  EXPECT_FALSE(path_exists(fx.rootfs() + "/opt/hidden/new"));
}

TEST_F(Rootfs, DefaultMaskedProcFilesReadEmpty) {
  // The default spec masks these; check the ones this host has (and has content in).
  std::vector<std::string> files, dirs;
  for (const char* f : {"/proc/timer_list", "/proc/keys", "/proc/kcore", "/proc/sched_debug"}) {
    struct stat st {};
    if (::stat(f, &st) == 0 && S_ISREG(st.st_mode)) files.emplace_back(f);
  }
  for (const char* d : {"/proc/acpi", "/proc/scsi", "/sys/firmware"}) {
    auto entries = list_dir(d);
    if (entries && !entries->empty()) dirs.emplace_back(d);
  }
  if (files.empty() && dirs.empty()) GTEST_SKIP() << "this host has none of the masked /proc and /sys paths";
  std::string script;
  for (const auto& f : files) script.append("echo ").append(f).append("=$(wc -c < ").append(f).append("); ");
  for (const auto& d : dirs) script.append("echo ").append(d).append("=$(ls -A ").append(d).append(" | wc -l); ");
  std::vector<std::string> want;
  want.reserve(files.size() + dirs.size());
  for (const auto& p : files) want.push_back(p + "=0");
  for (const auto& p : dirs) want.push_back(p + "=0");
  BundleFixture fx({.args = {"sh", "-c", script}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(lines_of(r.out), want) << r;
}

TEST_F(Rootfs, ReadonlyPathRefusesWrites) {
  BundleFixture fx({.args = {"sh", "-c", "cat /data/kept; touch /data/new; echo rc=$?; touch /tmp/ok; echo tmp=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  ASSERT_TRUE(mkdir_p(fx.rootfs() + "/data").ok());
  ASSERT_TRUE(write_file(fx.rootfs() + "/data/kept", "kept\n").ok());
  set_paths(fx, "readonlyPaths", {"/data"});
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "kept\nrc=1\ntmp=0\n");
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r;
  EXPECT_FALSE(path_exists(fx.rootfs() + "/data/new"));
}

TEST_F(Rootfs, ProcSysIsReadOnlyByDefault) {
  BundleFixture fx({.args = {"sh", "-c", "echo 1 > /proc/sys/kernel/domainname; echo rc=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "rc=1\n") << r;
}

TEST_F(Rootfs, BindMountIsSharedWithTheHost) {
  BundleFixture fx({.args = {"sh", "-c", "cat /mnt/host/in; echo from-container > /mnt/host/out"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string host = fx.dir() + "/host";
  ASSERT_TRUE(mkdir_p(host).ok());
  ASSERT_TRUE(write_file(host + "/in", "from-host\n").ok());
  add_mount(fx, "/mnt/host", "bind", host, {"rbind", "rw"});
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "from-host\n");
  auto out = read_file(host + "/out");
  ASSERT_TRUE(out.ok()) << "the container's write did not reach the host";
  EXPECT_EQ(*out, "from-container\n");
}

TEST_F(Rootfs, BindMountOfAFileWorks) {
  BundleFixture fx({.args = {"cat", "/etc/berth-file"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string host_file = fx.dir() + "/file";
  ASSERT_TRUE(write_file(host_file, "one file\n").ok());
  add_mount(fx, "/etc/berth-file", "bind", host_file, {"bind", "ro"});
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "one file\n");
}

TEST_F(Rootfs, ReadonlyBindMountRefusesWrites) {
  BundleFixture fx({.args = {"sh", "-c", "cat /mnt/host/in; echo changed > /mnt/host/in; echo rc=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string host = fx.dir() + "/host";
  ASSERT_TRUE(mkdir_p(host).ok());
  ASSERT_TRUE(write_file(host + "/in", "from-host\n").ok());
  add_mount(fx, "/mnt/host", "bind", host, {"rbind", "ro"});
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "from-host\nrc=1\n");
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r;
  EXPECT_EQ(read_file(host + "/in").value(), "from-host\n");
}

TEST_F(Rootfs, TmpfsOptionsAreApplied) {
  BundleFixture fx({.args = {"sh", "-c", "grep ' /scratch ' /proc/mounts; stat -c %a /scratch"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  add_mount(fx, "/scratch", "tmpfs", "tmpfs", {"nosuid", "nodev", "noexec", "mode=1770", "size=2m"});
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2U) << r.out;
  auto fields = split(lines[0], ' ');
  ASSERT_GE(fields.size(), 4U) << lines[0];
  EXPECT_EQ(fields[2], "tmpfs");
  std::string opts = "," + fields[3] + ",";
  for (const char* want : {",nosuid,", ",nodev,", ",noexec,", ",size=2048k,", ",mode=1770,"}) {
    EXPECT_NE(opts.find(want), std::string::npos) << want << " missing from " << fields[3];
  }
  EXPECT_EQ(lines[1], "1770");
}

TEST_F(Rootfs, SymlinkMountDestinationStaysInsideRootfs) {
  HostDir target;
  ASSERT_FALSE(target.path().empty());
  ASSERT_TRUE(write_file(target.path() + "/host-marker", "host\n").ok());
  struct stat before {};
  ASSERT_EQ(::stat(target.path().c_str(), &before), 0);

  BundleFixture fx(
      {.args = {"sh", "-c",
                "grep berth-it-host-target /proc/mounts; ls -A /evil/; echo inside > /evil/probe && cat /evil/probe"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  // An image whose /evil points at an absolute host path.
  ASSERT_EQ(::symlink(target.path().c_str(), (fx.rootfs() + "/evil").c_str()), 0);
  add_mount(fx, "/evil", "tmpfs", "tmpfs", {"size=1m"});
  fx.save_config();
  RunResult r = run_container(fx);

  // Whatever the runtime did, the host directory is untouched and not a mount point.
  struct stat after {};
  ASSERT_EQ(::stat(target.path().c_str(), &after), 0);
  EXPECT_EQ(after.st_dev, before.st_dev) << target.path() << " became a mount point";
  EXPECT_TRUE(mount_points_under(target.path()).empty()) << "a mount landed on the host path " << target.path();
  auto listing = list_dir(target.path());
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(*listing, std::vector<std::string>{"host-marker"}) << "the host directory was written to";

  // The symlink is resolved inside the rootfs: the tmpfs lands on rootfs/tmp/berth-it-host-target-*.
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2U) << r.out;
  auto fields = split(lines[0], ' ');
  ASSERT_GE(fields.size(), 3U) << lines[0];
  EXPECT_EQ(fields[1], target.path()) << "the tmpfs is not at the in-rootfs path";
  EXPECT_EQ(fields[2], "tmpfs");
  EXPECT_EQ(lines[1], "inside") << "host-marker seen through /evil: " << r.out;
  EXPECT_TRUE(path_exists(fx.rootfs() + target.path())) << "no mount point made inside the rootfs";
}

TEST_F(Rootfs, DotDotMountDestinationStaysInsideRootfs) {
  HostDir target;
  ASSERT_FALSE(target.path().empty());
  BundleFixture fx({.args = {"sh", "-c", "grep ' tmpfs ' /proc/mounts | grep -c berth-it-host-target"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  add_mount(fx, "/../../../../.." + target.path(), "tmpfs", "tmpfs", {"size=1m"});
  fx.save_config();
  RunResult r = run_container(fx);
  EXPECT_TRUE(mount_points_under(target.path()).empty()) << "a mount landed on the host path " << target.path();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1\n");
  EXPECT_TRUE(path_exists(fx.rootfs() + target.path()));
}

TEST_F(Rootfs, DeviceFromConfigIsCreated) {
  BundleFixture fx({.args = {"sh", "-c",
                             "stat -c '%t:%T %a %u:%g %F' /dev/berthnull; echo data > /dev/berthnull; "
                             "wc -c < /dev/berthnull"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value dev(rapidjson::kObjectType);
  dev.AddMember("path", "/dev/berthnull", a);
  dev.AddMember("type", "c", a);
  dev.AddMember("major", 1, a);
  dev.AddMember("minor", 3, a);
  dev.AddMember("fileMode", 0640, a);
  dev.AddMember("uid", 7, a);
  dev.AddMember("gid", 8, a);
  rapidjson::Value devices(rapidjson::kArrayType);
  devices.PushBack(dev, a);
  set_member(config["linux"], "devices", std::move(devices), a);
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"1:3 640 7:8 character special file", "0"})) << r.out;
}

TEST_F(Rootfs, DefaultDevicesExist) {
  BundleFixture fx({.args = {"sh", "-c",
                             "for d in null zero full random urandom tty; do stat -c '%n %t:%T %a %F' /dev/$d; done; "
                             "head -c 3 /dev/zero | wc -c; echo x > /dev/full; echo full=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{
                                 "/dev/null 1:3 666 character special file",
                                 "/dev/zero 1:5 666 character special file",
                                 "/dev/full 1:7 666 character special file",
                                 "/dev/random 1:8 666 character special file",
                                 "/dev/urandom 1:9 666 character special file",
                                 "/dev/tty 5:0 666 character special file",
                                 "3",
                                 "full=1",
                             }))
      << r;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r;
}

TEST_F(Rootfs, DevSymlinksPointIntoProc) {
  BundleFixture fx(
      {.args = {"sh", "-c", "for l in fd stdin stdout stderr ptmx; do echo $l=$(readlink /dev/$l); done"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(lines_of(r.out),
            (std::vector<std::string>{"fd=/proc/self/fd", "stdin=/proc/self/fd/0", "stdout=/proc/self/fd/1",
                                      "stderr=/proc/self/fd/2", "ptmx=pts/ptmx"}))
      << r.out;
}

TEST_F(Rootfs, SysctlIsWrittenInsideTheNetworkNamespace) {
  auto host_before = read_file("/proc/sys/net/ipv4/ip_forward");
  ASSERT_TRUE(host_before.ok());
  const std::string want = trim(*host_before) == "1" ? "0" : "1";
  BundleFixture fx({.args = {"cat", "/proc/sys/net/ipv4/ip_forward"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_sysctl(fx, "net.ipv4.ip_forward", want);
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, want + "\n");
  EXPECT_EQ(read_file("/proc/sys/net/ipv4/ip_forward").value(), *host_before) << "the host's sysctl changed";
}

TEST_F(Rootfs, SysctlIsWrittenInsideTheIpcNamespace) {
  auto host_before = read_file("/proc/sys/kernel/shmmni");
  ASSERT_TRUE(host_before.ok());
  BundleFixture fx({.args = {"cat", "/proc/sys/kernel/shmmni"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_sysctl(fx, "kernel.shmmni", "1234");
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1234\n");
  EXPECT_EQ(read_file("/proc/sys/kernel/shmmni").value(), *host_before) << "the host's sysctl changed";
}

TEST_F(Rootfs, UnknownSysctlIsAClearError) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_sysctl(fx, "net.ipv4.berth_no_such_knob", "1");
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("berth_no_such_knob"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
}

// The root's mountinfo line inside the container: "... / / <options> <optional fields> - ...".
std::string root_propagation_fields(const std::string& mountinfo_line) {
  auto fields = split(mountinfo_line, ' ');
  std::string out;
  for (size_t i = 6; i < fields.size() && fields[i] != "-"; ++i) out += (out.empty() ? "" : " ") + fields[i];
  return out;
}

TEST_F(Rootfs, RootfsPropagationSharedMakesTheRootShared) {
  BundleFixture fx({.args = {"sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_member(fx.config()["linux"], "rootfsPropagation", rapidjson::Value("shared"), fx.config().GetAllocator());
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(starts_with(root_propagation_fields(trim(r.out).data()), "shared:")) << r.out;
}

TEST_F(Rootfs, RootfsPropagationPrivateWorks) {
  BundleFixture fx({.args = {"sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_member(fx.config()["linux"], "rootfsPropagation", rapidjson::Value("private"), fx.config().GetAllocator());
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(root_propagation_fields(std::string(trim(r.out))), "") << r.out;
}

// The container's mounts must never show up in the host's namespace, whatever the
// propagation of the mount holding the bundle (shared under systemd) and of the rootfs.
TEST_F(Rootfs, RootfsPropagationPrivateUnderASharedHostMountLeaksNothing) {
  BundleFixture fx({.args = {"sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo; sleep 0.3"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_member(fx.config()["linux"], "rootfsPropagation", rapidjson::Value("private"), fx.config().GetAllocator());
  fx.save_config();
  SharedMount shared(fx.dir());
  ASSERT_TRUE(shared.ok()) << "cannot make " << fx.dir() << " a shared mount";
  RunResult r = run_container(fx);
  auto leaked = mount_points_under(fx.dir() + "/bundle");
  EXPECT_TRUE(leaked.empty()) << "container mounts propagated to the host: " << join(leaked, ", ");
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(root_propagation_fields(std::string(trim(r.out))), "") << r.out;
}

TEST_F(Rootfs, DefaultPropagationUnderASharedHostMountLeaksNothing) {
  BundleFixture fx({.args = {"sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  SharedMount shared(fx.dir());
  ASSERT_TRUE(shared.ok()) << "cannot make " << fx.dir() << " a shared mount";
  RunResult r = run_container(fx);
  auto leaked = mount_points_under(fx.dir() + "/bundle");
  EXPECT_TRUE(leaked.empty()) << "container mounts propagated to the host: " << join(leaked, ", ");
  ASSERT_TRUE(r.ok()) << r;
  // rslave by default: the root still receives the host's mounts.
  EXPECT_TRUE(starts_with(root_propagation_fields(std::string(trim(r.out))), "master:")) << r.out;
}

TEST_F(Rootfs, NoPivotRunsTheContainerInItsRootfs) {
  // A created container's output goes to the stdout `create` had: write it into the rootfs.
  BundleFixture fx({.args = {"sh", "-c", "{ ls /; cat /etc/marker; } > /tmp/out; echo done >> /tmp/out"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  ASSERT_TRUE(write_file(fx.rootfs() + "/etc/marker", "in-rootfs\n").ok());
  std::string id = fx.new_id();
  RunResult created = fx.berth_oci({"create", "--no-pivot", "--bundle", fx.bundle(), id});
  ASSERT_TRUE(created.ok()) << created;
  RunResult started = fx.berth_oci({"start", id});
  ASSERT_TRUE(started.ok()) << started;
  std::string out;
  for (int i = 0; i < 300 && out.find("done\n") == std::string::npos; ++i) {
    ::usleep(10000);
    auto text = read_file(fx.rootfs() + "/tmp/out");
    out = text ? *text : std::string();
  }
  auto lines = lines_of(out);
  ASSERT_FALSE(lines.empty()) << "the container did not run";
  EXPECT_NE(std::find(lines.begin(), lines.end(), "bin"), lines.end()) << out;
  EXPECT_EQ(std::find(lines.begin(), lines.end(), "work"), lines.end()) << "host root visible:\n" << out;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "in-rootfs"), lines.end()) << out;
}

TEST_F(Rootfs, CgroupFsIsVisibleAndReadOnly) {
  BundleFixture fx({.args = {"sh", "-c",
                             "ls /sys/fs/cgroup | head -1; d=/sys/fs/cgroup/$(ls /sys/fs/cgroup | head -1); "
                             "[ -d \"$d\" ] || d=/sys/fs/cgroup; mkdir \"$d/berth-it-x\"; echo rc=$?; "
                             "touch /sys/fs/cgroup/berth-it-file; echo top=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3U) << r;
  EXPECT_FALSE(lines[0].empty());
  EXPECT_EQ(lines[1], "rc=1") << r;
  EXPECT_EQ(lines[2], "top=1") << r;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r;
}

TEST_F(Rootfs, RelativeBindSourceIsTakenFromTheBundle) {
  BundleFixture fx({.args = {"cat", "/mnt/rel/f"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  ASSERT_TRUE(mkdir_p(fx.bundle() + "/reldir").ok());
  ASSERT_TRUE(write_file(fx.bundle() + "/reldir/f", "relative\n").ok());
  add_mount(fx, "/mnt/rel", "bind", "reldir", {"rbind", "ro"});
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "relative\n");
}

}  // namespace
}  // namespace berth::integration
