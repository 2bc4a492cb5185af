// Security regressions of berth-oci, each named for the CVE (or the class of attack) it
// guards against: overwriting the runtime binary from a container (CVE-2019-5736), host fds
// and a host cwd reaching a container (CVE-2024-21626), mount destinations that escape the
// rootfs through symlinks, and the confinement of the default `berth-oci spec` config
// (masked and read-only paths, capabilities, no_new_privs, the default seccomp profile).
//
// The CVE-2019-5736 tests attack a copy of the built berth-oci, never the build itself.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// ---------------------------------------------------------------------------------------------
// Helpers

// The distinct lines of `text`, sorted.
std::set<std::string> line_set(const std::string& text) {
  std::vector<std::string> lines = lines_of(text);
  return {lines.begin(), lines.end()};
}

std::string joined(const std::set<std::string>& s) { return join(std::vector<std::string>(s.begin(), s.end()), ","); }

// Waits until `path` holds `needle` or the timeout passes; returns the file's last text.
std::string wait_for_text(const std::string& path, const std::string& needle, seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string text;
  while (Clock::now() < deadline) {
    if (auto t = read_file(path)) {
      text = *t;
      if (text.find(needle) != std::string::npos) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return text;
}

// A copy of the built berth-oci with a state root of its own, for the tests that try to
// overwrite the runtime binary: whatever they manage happens to the copy. Declare it after the
// BundleFixture whose temp dir holds it, so that its containers go first.
class CopiedRuntime {
 public:
  explicit CopiedRuntime(const BundleFixture& fx)
      : binary_(fx.dir() + "/berth-oci-copy"), root_(fx.dir() + "/copy-state") {
    auto bytes = read_file(berth_oci_binary());
    if (!bytes) {
      error_ = bytes.error().message();
      return;
    }
    original_ = std::move(*bytes);
    if (auto st = write_file(binary_, original_, 0755); !st) error_ = st.error().message();
    if (auto st = mkdir_p(root_, 0700); !st) error_ = st.error().message();
  }
  ~CopiedRuntime() {
    for (const auto& id : ids_) (void)run({"delete", "--force", id});
  }
  CopiedRuntime(const CopiedRuntime&) = delete;
  CopiedRuntime& operator=(const CopiedRuntime&) = delete;
  CopiedRuntime(CopiedRuntime&&) = delete;
  CopiedRuntime& operator=(CopiedRuntime&&) = delete;

  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] const std::string& binary() const { return binary_; }

  RunResult run(const std::vector<std::string>& args, seconds timeout = seconds(30)) {
    if (!args.empty() && (args.front() == "create" || args.front() == "run") &&
        std::find(ids_.begin(), ids_.end(), args.back()) == ids_.end()) {
      ids_.push_back(args.back());
    }
    std::vector<std::string> argv = {binary_, "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_cmd(argv, {}, timeout);
  }

  // "" while the copy holds the bytes it was made with; else what changed.
  [[nodiscard]] std::string changed() const {
    auto now = read_file(binary_);
    if (!now) return "the runtime binary is unreadable: " + now.error().message();
    if (*now != original_) {
      return "the runtime binary was overwritten: " + std::to_string(now->size()) + " bytes, were " +
             std::to_string(original_.size());
    }
    return {};
  }

 private:
  std::string binary_;
  std::string root_;
  std::string original_;
  std::string error_;
  std::vector<std::string> ids_;
};

// Opens directories without O_CLOEXEC, as a careless caller of the runtime would hand them
// down; each is closed at the end of the test.
class InheritedFds {
 public:
  explicit InheritedFds(const std::vector<std::string>& dirs) {
    for (const auto& d : dirs) {
      int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY);  // NOLINT(android-cloexec-open): inherited on purpose
      if (fd >= 0) {
        fds_.emplace_back(fd);
        numbers_.push_back(std::to_string(fd) + "=" + d);
      }
    }
  }
  [[nodiscard]] size_t count() const { return fds_.size(); }
  [[nodiscard]] std::string describe() const { return join(numbers_, " "); }

 private:
  std::vector<UniqueFd> fds_;
  std::vector<std::string> numbers_;
};

// A host directory holding a file whose name nothing in the container has.
std::string make_host_marker_dir(const BundleFixture& fx, const std::string& name, std::string& marker) {
  std::string dir = fx.dir() + "/" + name;
  marker = name + "-marker-" + std::to_string(::getpid());
  EXPECT_TRUE(mkdir_p(dir));
  EXPECT_TRUE(write_file(dir + "/" + marker, "host only\n"));
  return dir;
}

// Replaces the bundle's config with `berth-oci spec`'s, adjusted as the fixture script adjusts
// it: args, terminal false, root {rootfs, readonly false}.
void use_default_spec(BundleFixture& fx, const std::vector<std::string>& args) {
  const std::string spec_dir = fx.dir() + "/spec";
  ASSERT_TRUE(mkdir_p(spec_dir));
  RunResult spec = run_cmd({"sh", "-c", R"(cd "$1" && exec "$2" spec)", "sh", spec_dir, berth_oci_binary()});
  ASSERT_TRUE(spec.ok()) << spec;
  auto text = read_file(spec_dir + "/config.json");
  ASSERT_TRUE(text.ok()) << text.error().message();
  ASSERT_TRUE(write_file(fx.config_path(), *text));
  auto& config = fx.config();  // first use: loads the spec just written
  auto& alloc = config.GetAllocator();
  set_args(fx, args);
  config["process"]["terminal"].SetBool(false);
  rapidjson::Value root(rapidjson::kObjectType);
  root.AddMember("path", "rootfs", alloc);
  root.AddMember("readonly", false, alloc);
  config["root"] = root;
  fx.save_config();
}

// ---------------------------------------------------------------------------------------------
// CVE-2019-5736: a container must never get the runtime binary to write to.

// The container's process is the runtime itself, through /proc/self/exe, a symlink to it, or a
// script whose interpreter it is: berth-oci refuses to exec it (were it to run, the container
// could reach the host binary through /proc/<pid>/exe).
void expect_runtime_not_run_inside(BundleFixture& fx, CopiedRuntime& rt, const std::vector<std::string>& args) {
  set_args(fx, args);
  fx.save_config();
  RunResult r = rt.run({"run", "--bundle", fx.bundle(), fx.new_id("exe")});
  EXPECT_FALSE(r.ok()) << "the runtime ran inside the container\n" << r;
  EXPECT_NE(r.err.find("CVE-2019-5736"), std::string::npos) << "expected berth-oci to refuse, naming CVE-2019-5736\n"
                                                            << r;
  EXPECT_EQ(r.out.find("usage: berth-oci"), std::string::npos) << "the runtime ran inside the container\n" << r;
  EXPECT_EQ(rt.changed(), "");
}

// Tries to get an fd on the runtime binary through /proc/<pid>/exe of any process in the
// container that is not busybox (until `start` the container's init is the runtime), then to
// write through that fd once the runtime has exec'd away and ETXTBSY no longer protects it.
constexpr const char* kAttackScript = R"(#!/bin/sh
log=/tmp/attack.log
grabbed=
i=0
while [ $i -lt 150 ] && [ -z "$grabbed" ]; do
  for p in /proc/[0-9]*; do
    [ "$p" = "/proc/$$" ] && continue
    [ "$p/exe" -ef /bin/busybox ] && continue
    if (exec 3<"$p/exe") 2>/dev/null; then
      command exec 3<"$p/exe" 2>/dev/null && grabbed=$p && echo "GRABBED $p" >>$log
      break
    fi
  done
  i=$((i + 1))
  usleep 20000
done
if [ -n "$grabbed" ]; then
  j=0
  while [ $j -lt 150 ]; do
    if (printf 'owned' >/proc/$$/fd/3) 2>/dev/null; then echo OVERWROTE >>$log; break; fi
    j=$((j + 1))
    usleep 20000
  done
fi
echo DONE >>$log
)";

// While a container is created its init is the runtime, waiting for start: a process exec'd
// into the container tries to write /proc/1/exe at once, and to grab an fd on it to write
// through after start.
void expect_created_init_unreachable(BundleFixture& fx, CopiedRuntime& rt) {
  set_args(fx, {"sleep", "30"});
  fx.save_config();
  ASSERT_TRUE(write_file(fx.rootfs() + "/attack.sh", kAttackScript, 0755));
  const std::string id = fx.new_id("created");
  RunResult create = rt.run({"create", "--bundle", fx.bundle(), id});
  ASSERT_TRUE(create.ok()) << create;

  const std::string write_init_exe =
      "if echo x >/proc/1/exe; then echo WROTE-ECHO; fi; "
      "if dd if=/dev/zero of=/proc/1/exe bs=1 count=1 conv=notrunc; then echo WROTE-DD; fi; "
      "if cat /proc/1/exe >/dev/null; then echo READ; fi; echo TRIED";
  RunResult direct = rt.run({"exec", id, "sh", "-c", write_init_exe});
  EXPECT_NE(direct.out.find("TRIED"), std::string::npos) << direct;
  EXPECT_EQ(direct.out.find("WROTE"), std::string::npos) << direct;
  EXPECT_EQ(direct.out.find("READ"), std::string::npos)
      << "a container process could open the waiting runtime's /proc/1/exe: it can keep the fd and write "
         "through it once the runtime has exec'd away\n"
      << direct;
  EXPECT_EQ(rt.changed(), "");

  RunResult attack = rt.run({"exec", "--detach", id, "/attack.sh"});
  ASSERT_TRUE(attack.ok()) << attack;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  RunResult start = rt.run({"start", id});
  ASSERT_TRUE(start.ok()) << start;
  std::string log = wait_for_text(fx.rootfs() + "/tmp/attack.log", "DONE", seconds(20));
  EXPECT_NE(log.find("DONE"), std::string::npos) << "the attack script did not finish: " << log;
  EXPECT_EQ(log.find("GRABBED"), std::string::npos) << log;
  EXPECT_EQ(log.find("OVERWROTE"), std::string::npos) << log;
  EXPECT_EQ(rt.changed(), "");
}

TEST(Security, Cve_2019_5736_RuntimeBinaryIsNotWritable) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  CopiedRuntime rt(fx);
  ASSERT_EQ(rt.error(), "");
  ASSERT_EQ(::symlink("/proc/self/exe", (fx.rootfs() + "/bin/evil").c_str()), 0);
  ASSERT_TRUE(write_file(fx.rootfs() + "/evil.sh", "#!/proc/self/exe list\n", 0755));
  {
    SCOPED_TRACE("process.args [/proc/self/exe]");
    expect_runtime_not_run_inside(fx, rt, {"/proc/self/exe", "list"});
  }
  {
    SCOPED_TRACE("process.args [/bin/evil], a symlink to /proc/self/exe");
    expect_runtime_not_run_inside(fx, rt, {"/bin/evil", "list"});
  }
  {
    SCOPED_TRACE("process.args [/evil.sh], a script whose interpreter is /proc/self/exe");
    expect_runtime_not_run_inside(fx, rt, {"/evil.sh"});
  }
  {
    SCOPED_TRACE("an exec'd process attacks the created container's init");
    expect_created_init_unreachable(fx, rt);
  }
}

// ---------------------------------------------------------------------------------------------
// CVE-2024-21626: no fd of the caller or of the runtime, and no cwd outside the rootfs.

TEST(Security, Cve_2024_21626_NoHostFdLeaksIntoContainer) {
  skip_unless_root();
  BundleFixture fx({.args = {"ls", "/proc/self/fd"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  InheritedFds inherited({"/sys/fs/cgroup", "/", "/proc", fx.dir()});
  ASSERT_GT(inherited.count(), 0U);

  // ls lists its own fd on the directory too: with nothing leaked, that is 3.
  const std::set<std::string> expected = {"0", "1", "2", "3"};
  RunResult run = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("run")});
  ASSERT_TRUE(run.ok()) << run;
  EXPECT_EQ(joined(line_set(run.out)), joined(expected))
      << "fds in the container beyond stdio; the test process holds " << inherited.describe() << "\n"
      << run;

  set_args(fx, {"sleep", "30"});
  fx.save_config();
  const std::string id = fx.new_id("exec");
  RunResult create = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  ASSERT_TRUE(create.ok()) << create;
  RunResult start = fx.berth_oci({"start", id});
  ASSERT_TRUE(start.ok()) << start;
  RunResult exec = fx.berth_oci({"exec", id, "ls", "/proc/self/fd"});
  ASSERT_TRUE(exec.ok()) << exec;
  EXPECT_EQ(joined(line_set(exec.out)), joined(expected))
      << "fds in an exec'd process beyond stdio; the test process holds " << inherited.describe() << "\n"
      << exec;
  RunResult init_fds = fx.berth_oci({"exec", id, "ls", "/proc/1/fd"});
  ASSERT_TRUE(init_fds.ok()) << init_fds;
  EXPECT_EQ(joined(line_set(init_fds.out)), "0,1,2") << "fds of the started container's init\n" << init_fds;
}

// What `sh -c 'pwd; ls -a'` printed must show nothing of the host directories the fds led to.
void expect_no_host_view(const RunResult& r, const std::vector<std::string>& host_only, const std::string& what) {
  for (const auto& name : host_only) {
    EXPECT_EQ(r.out.find(name), std::string::npos) << what << ": the process sees the host's " << name << "\n" << r;
  }
  if (r.ok()) {
    std::string pwd = split(r.out, '\n').front();
    EXPECT_TRUE(starts_with(pwd, "/")) << what << ": a cwd outside the root has no path\n" << r;
    EXPECT_EQ(pwd.find("(unreachable)"), std::string::npos) << what << "\n" << r;
  }
}

TEST(Security, Cve_2024_21626_CwdOutsideRootIsRefused) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string marker_a;
  std::string marker_b;
  const std::string host_a = make_host_marker_dir(fx, "host-a", marker_a);
  const std::string host_b = make_host_marker_dir(fx, "host-b", marker_b);
  // Host fds on several numbers from 3 up, as runc's leaked cgroup fd was.
  InheritedFds inherited({host_a, "/sys/fs/cgroup", host_b, host_a, fx.dir(), host_b, "/sys/fs/cgroup"});
  // Names only the host directories hold: their markers, fx.dir()'s entries, cgroupfs files.
  const std::vector<std::string> host_only = {marker_a, marker_b, "host-a", "host-b", "cgroup.procs", "unified"};

  for (int n = 3; n <= 10; ++n) {
    const std::string cwd = "/proc/self/fd/" + std::to_string(n);
    set_args(fx, {"sh", "-c", "pwd; ls -a"});
    set_cwd(fx, cwd);
    fx.save_config();
    RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("cwd")});
    expect_no_host_view(r, host_only, "process.cwd " + cwd + " (host fds " + inherited.describe() + ")");
  }

  set_args(fx, {"sleep", "30"});
  set_cwd(fx, "/");
  fx.save_config();
  const std::string id = fx.new_id("exec");
  RunResult create = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  ASSERT_TRUE(create.ok()) << create;
  RunResult start = fx.berth_oci({"start", id});
  ASSERT_TRUE(start.ok()) << start;
  for (int n = 3; n <= 10; ++n) {
    const std::string cwd = "/proc/self/fd/" + std::to_string(n);
    RunResult r = fx.berth_oci({"exec", "--cwd", cwd, id, "sh", "-c", "pwd; ls -a"});
    expect_no_host_view(r, host_only, "exec --cwd " + cwd + " (host fds " + inherited.describe() + ")");
  }
}

// ---------------------------------------------------------------------------------------------
// Mount destinations resolve inside the rootfs. rootfs_test.cc covers an absolute symlink and a
// destination with ".."; here the symlink itself climbs out with "..".

TEST(Security, DotDotSymlinkMountDestinationIsResolvedInsideRootfs) {
  skip_unless_root();
  BundleFixture fx({.args = {"sh", "-c", "touch /evil/inside && ls /evil"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string marker;
  const std::string host_dir = make_host_marker_dir(fx, "host-target", marker);
  ASSERT_EQ(::symlink(("../../../../../../../../../.." + host_dir).c_str(), (fx.rootfs() + "/evil").c_str()), 0);

  auto& config = fx.config();
  auto& alloc = config.GetAllocator();
  rapidjson::Value m(rapidjson::kObjectType);
  m.AddMember("destination", "/evil", alloc);
  m.AddMember("type", "tmpfs", alloc);
  m.AddMember("source", "tmpfs", alloc);
  rapidjson::Value options(rapidjson::kArrayType);
  options.PushBack("nosuid", alloc);
  m.AddMember("options", options, alloc);
  config["mounts"].PushBack(m, alloc);
  fx.save_config();

  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("symlink")});
  // Either outcome is safe (a tmpfs inside the rootfs, or a refusal); the host is untouched.
  auto listing = list_dir(host_dir);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(join(*listing, " "), marker) << "the host directory changed\n" << r;
  std::string mountinfo = read_file("/proc/self/mountinfo").value();
  EXPECT_EQ(mountinfo.find(" " + host_dir + " "), std::string::npos) << "a mount landed on the host directory";
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "inside\n") << "the container saw the host directory through /evil\n" << r;
  // The mount point was made inside the rootfs (the tmpfs itself went with the container).
  EXPECT_TRUE(path_exists(fx.rootfs() + host_dir)) << "the mount point is not inside the rootfs\n" << r;
}

// ---------------------------------------------------------------------------------------------
// The default `berth-oci spec` config confines its process.

TEST(Security, DefaultSpecMasksAndWriteProtectsProcAndSys) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  use_default_spec(fx, {"true"});
  if (testing::Test::HasFatalFailure()) return;
  const auto masked = strings_of(fx.config()["linux"]["maskedPaths"]);
  const auto readonly = strings_of(fx.config()["linux"]["readonlyPaths"]);
  ASSERT_FALSE(masked.empty()) << "berth-oci spec has no linux.maskedPaths";
  ASSERT_FALSE(readonly.empty()) << "berth-oci spec has no linux.readonlyPaths";

  std::ostringstream script;
  for (const auto& p : masked) {
    script << "p=" << p << "; if [ -d $p ]; then echo \"masked $p dir $(ls -A $p | wc -l)\"; "
           << "elif [ -e $p ]; then echo \"masked $p file $(head -c 4096 $p 2>/dev/null | wc -c)\"; "
           << "else echo \"masked $p absent\"; fi\n";
  }
  for (const auto& p : readonly) {
    script << "p=" << p << "; if [ -e $p ]; then echo \"readonly $p $(awk -v p=$p '$5 == p { o = $6 } END { print o }' "
           << "/proc/self/mountinfo)\"; else echo \"readonly $p absent\"; fi\n";
  }
  script << "if echo berth >/proc/sys/kernel/domainname; then echo 'sysctl written'; fi\n";
  set_args(fx, {"sh", "-c", script.str()});
  fx.save_config();

  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("mask")});
  ASSERT_TRUE(r.ok()) << r;
  int masked_present = 0;
  for (const auto& line : split(r.out, '\n')) {
    auto f = split(line, ' ');
    if (f.size() == 4 && f[0] == "masked") {
      ++masked_present;
      EXPECT_EQ(f[3], "0") << f[1] << " is not masked (" << f[2] << " not empty)\n" << r;
    } else if (f.size() == 3 && f[0] == "readonly" && f[2] != "absent") {
      EXPECT_TRUE(starts_with(f[2], "ro")) << f[1] << " is not mounted read-only: " << f[2] << "\n" << r;
    } else if (f.size() == 2 && f[0] == "readonly") {
      ADD_FAILURE() << f[1] << " exists but is not a mount point\n" << r;
    }
  }
  EXPECT_GT(masked_present, 0) << "no masked path exists on this host: nothing was checked\n" << r;
  EXPECT_EQ(r.out.find("sysctl written"), std::string::npos) << "/proc/sys is writable\n" << r;
}

TEST(Security, DefaultSpecDropsMountAndSetsNoNewPrivs) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  use_default_spec(fx, {"sh", "-c",
                        "mount -t tmpfs none /tmp; echo \"mount=$?\"; "
                        "mount -o remount,rw /proc/sys 2>&1; echo \"remount=$?\"; cat /proc/self/status"});
  if (testing::Test::HasFatalFailure()) return;
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("caps")});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out.find("mount=0"), std::string::npos) << "mount(2) worked in the default config\n" << r;
  EXPECT_NE(r.err.find("ermission denied"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("remount=0"), std::string::npos) << r;
  EXPECT_EQ(status_field(r.out, "NoNewPrivs"), "1") << r;
  EXPECT_EQ(status_field(r.out, "Seccomp"), "2") << "no seccomp filter\n" << r;
  // CAP_SYS_ADMIN is bit 21, CAP_SYS_PTRACE 19, CAP_SYS_MODULE 16: none in any set.
  for (const char* set : {"CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"}) {
    const std::string hex = status_field(r.out, set);
    ASSERT_FALSE(hex.empty()) << set << " missing\n" << r;
    uint64_t caps = std::stoull(hex, nullptr, 16);
    EXPECT_EQ(caps & ((1ULL << 21) | (1ULL << 19) | (1ULL << 16)), 0U) << set << "\n" << r;
  }
}

TEST(Security, DefaultSeccompProfileRefusesUserNamespaces) {
  skip_unless_root();
  const std::vector<std::string> args = {"sh", "-c", "unshare -U true; echo \"unshare=$?\""};
  // Control: the same config without seccomp, to show that seccomp is what refuses.
  {
    BundleFixture control;
    ASSERT_TRUE(control.ok()) << control.error();
    use_default_spec(control, args);
    if (testing::Test::HasFatalFailure()) return;
    control.config()["linux"].RemoveMember("seccomp");
    control.save_config();
    RunResult r = control.berth_oci({"run", "--bundle", control.bundle(), control.new_id("noseccomp")});
    ASSERT_TRUE(r.ok()) << r;
    if (r.out.find("unshare=0") == std::string::npos) {
      GTEST_SKIP() << "this host refuses user namespaces to the container even without seccomp "
                      "(user.max_user_namespaces?): nothing to tell the profile by\n"
                   << r;
    }
  }
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  use_default_spec(fx, args);
  if (testing::Test::HasFatalFailure()) return;
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("seccomp")});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_NE(r.out.find("unshare="), std::string::npos) << r;
  EXPECT_EQ(r.out.find("unshare=0"), std::string::npos)
      << "unshare(CLONE_NEWUSER) worked under the default seccomp profile\n"
      << r;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r;
}

}  // namespace
}  // namespace berth::integration
