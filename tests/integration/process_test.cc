// The container's process as config.json describes it: args, env, cwd, user and groups,
// umask, rlimits, oom score, capabilities, no_new_privs, seccomp, LSM labels, the fds it
// inherits, and a cwd that tries to leave the rootfs (CVE-2024-21626).
// Runs real busybox containers: needs root.
#include <fcntl.h>
#include <rapidjson/document.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

constexpr const char* kCapabilitySets[] = {"bounding", "effective", "permitted", "inheritable", "ambient"};

void set_capabilities(BundleFixture& fx, const std::vector<std::string>& caps) {
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value sets(rapidjson::kObjectType);
  for (const char* set : {"bounding", "effective", "permitted"}) {
    sets.AddMember(rapidjson::StringRef(set), string_array(caps, a), a);
  }
  set_member(config["process"], "capabilities", std::move(sets), a);
}

void remove_capability(BundleFixture& fx, const std::string& cap) {
  auto& caps = fx.config()["process"]["capabilities"];
  for (const char* set : kCapabilitySets) {
    if (!caps.HasMember(set)) continue;
    auto& list = caps[set];
    for (auto it = list.Begin(); it != list.End();) {
      it = cap == it->GetString() ? list.Erase(it) : it + 1;
    }
  }
}

// A seccomp profile that allows everything but `rules` (each an object in linux.seccomp.syscalls).
void set_seccomp(BundleFixture& fx, rapidjson::Value rules) {
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value seccomp(rapidjson::kObjectType);
  seccomp.AddMember("defaultAction", "SCMP_ACT_ALLOW", a);
  seccomp.AddMember("syscalls", rules, a);
  set_member(config["linux"], "seccomp", std::move(seccomp), a);
}

class Process : public ::testing::Test {
 protected:
  void SetUp() override { skip_unless_root(); }
};

TEST_F(Process, ArgsEnvAndCwdReachTheProcess) {
  BundleFixture fx({.args = {"sh", "-c", "echo \"$0|$1|$GREETING|$(pwd)\"", "first arg", "second"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  config["process"]["env"].PushBack(rapidjson::Value("GREETING=hello world", a), a);
  set_member(config["process"], "cwd", rapidjson::Value("/tmp"), a);
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "first arg|second|hello world|/tmp\n");
}

TEST_F(Process, EnvIsExactlyWhatTheConfigSays) {
  BundleFixture fx({.args = {"env"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  config["process"]["env"] = string_array({"PATH=/bin:/usr/bin", "ONLY=this"}, config.GetAllocator());
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"ONLY=this", "PATH=/bin:/usr/bin"})) << "host environment leaked:\n"
                                                                                  << r.out;
}

TEST_F(Process, MissingExecutableIsAClearError) {
  BundleFixture fx({.args = {"berth-no-such-binary"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("berth-no-such-binary"), std::string::npos) << r;
}

TEST_F(Process, MissingCwdIsRefusedAtCreate) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  set_member(config["process"], "cwd", rapidjson::Value("/no/such/dir"), config.GetAllocator());
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("/no/such/dir"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
}

TEST_F(Process, UserUidGidAndAdditionalGidsApply) {
  BundleFixture fx({.args = {"sh", "-c", "id -u; id -g; grep '^Groups:' /proc/self/status; touch /tmp/owned"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value user(rapidjson::kObjectType);
  user.AddMember("uid", 1000, a);
  user.AddMember("gid", 1001, a);
  rapidjson::Value gids(rapidjson::kArrayType);
  gids.PushBack(10, a).PushBack(20, a);
  user.AddMember("additionalGids", gids, a);
  config["process"]["user"] = user;
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3U) << r.out;
  EXPECT_EQ(lines[0], "1000");
  EXPECT_EQ(lines[1], "1001");
  EXPECT_EQ(status_field(lines[2], "Groups"), "10 20");
  struct stat st {};
  ASSERT_EQ(::stat((fx.rootfs() + "/tmp/owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000U);
  EXPECT_EQ(st.st_gid, 1001U);
}

TEST_F(Process, UmaskFromConfigApplies) {
  BundleFixture fx({.args = {"sh", "-c", "umask; touch /tmp/f; stat -c %a /tmp/f"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  set_member(config["process"]["user"], "umask", rapidjson::Value(077), config.GetAllocator());
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"0077", "600"})) << r.out;
}

TEST_F(Process, RlimitNofileIsLowered) {
  BundleFixture fx({.args = {"sh", "-c", "ulimit -n; ulimit -Hn"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value limit(rapidjson::kObjectType);
  limit.AddMember("type", "RLIMIT_NOFILE", a);
  limit.AddMember("soft", 512, a);
  limit.AddMember("hard", 1000, a);
  rapidjson::Value limits(rapidjson::kArrayType);
  limits.PushBack(limit, a);
  set_member(config["process"], "rlimits", std::move(limits), a);
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"512", "1000"})) << r.out;
}

TEST_F(Process, RaisingAHardRlimitWithoutCapSysResourceIsAClearError) {
  if (!path_exists("/usr/bin/setpriv") && !path_exists("/bin/setpriv")) {
    GTEST_SKIP() << "needs setpriv (util-linux) to run berth-oci without CAP_SYS_RESOURCE";
  }
  rlimit current{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &current), 0);
  if (current.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "the hard RLIMIT_NOFILE is unlimited: nothing to raise";
  const uint64_t raised = current.rlim_max + 1000;
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value limit(rapidjson::kObjectType);
  limit.AddMember("type", "RLIMIT_NOFILE", a);
  limit.AddMember("soft", raised, a);
  limit.AddMember("hard", raised, a);
  rapidjson::Value limits(rapidjson::kArrayType);
  limits.PushBack(limit, a);
  set_member(config["process"], "rlimits", std::move(limits), a);
  fx.save_config();
  std::string id = fx.new_id();
  fx.track(id);
  // berth-oci itself without CAP_SYS_RESOURCE (root in a restricted environment).
  RunResult r = run_cmd({"setpriv", "--bounding-set", "-sys_resource", berth_oci_binary(), "--root", fx.state_root(),
                         "create", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("RLIMIT_NOFILE"), std::string::npos) << r;
  EXPECT_NE(r.err.find("CAP_SYS_RESOURCE"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok()) << "a failed create left a container";
}

TEST_F(Process, OomScoreAdjIsApplied) {
  BundleFixture fx({.args = {"cat", "/proc/self/oom_score_adj"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  set_member(config["process"], "oomScoreAdj", rapidjson::Value(500), config.GetAllocator());
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "500\n");
}

TEST_F(Process, DroppingCapChownMakesChownFail) {
  const std::vector<std::string> args = {"sh", "-c", "touch /tmp/x; chown 1 /tmp/x; echo rc=$?"};
  BundleFixture fx({.args = args});
  ASSERT_TRUE(fx.ok()) << fx.error();
  // With CAP_CHOWN (the default spec has it) chown works...
  RunResult with = run_container(fx);
  ASSERT_TRUE(with.ok()) << with;
  EXPECT_EQ(with.out, "rc=0\n") << with;
  // ...and without it, it does not.
  remove_capability(fx, "CAP_CHOWN");
  fx.save_config();
  RunResult without = run_container(fx);
  ASSERT_TRUE(without.ok()) << without;
  EXPECT_EQ(without.out, "rc=1\n") << without;
  EXPECT_NE(without.err.find("Operation not permitted"), std::string::npos) << without;
}

TEST_F(Process, CapabilitySetsAreExactlyTheConfigured) {
  BundleFixture fx({.args = {"grep", "^Cap", "/proc/self/status"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  // CAP_KILL (5) and CAP_NET_BIND_SERVICE (10): 0x420. CAP_NET_RAW (13) and all others dropped.
  set_capabilities(fx, {"CAP_KILL", "CAP_NET_BIND_SERVICE"});
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(status_field(r.out, "CapEff"), "0000000000000420") << r.out;
  EXPECT_EQ(status_field(r.out, "CapPrm"), "0000000000000420") << r.out;
  EXPECT_EQ(status_field(r.out, "CapBnd"), "0000000000000420") << r.out;
  EXPECT_EQ(status_field(r.out, "CapInh"), "0000000000000000") << r.out;
  EXPECT_EQ(status_field(r.out, "CapAmb"), "0000000000000000") << r.out;
}

TEST_F(Process, UnknownCapabilityIsAClearError) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_capabilities(fx, {"CAP_BERTH_MADE_UP"});
  fx.save_config();
  RunResult r = run_container(fx);
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("CAP_BERTH_MADE_UP"), std::string::npos) << r;
}

TEST_F(Process, NoNewPrivilegesIsSet) {
  BundleFixture fx({.args = {"grep", "^NoNewPrivs", "/proc/self/status"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  set_member(config["process"], "noNewPrivileges", rapidjson::Value(true), config.GetAllocator());
  fx.save_config();
  RunResult on = run_container(fx);
  ASSERT_TRUE(on.ok()) << on;
  EXPECT_EQ(status_field(on.out, "NoNewPrivs"), "1") << on.out;

  config["process"]["noNewPrivileges"].SetBool(false);
  fx.save_config();
  RunResult off = run_container(fx);
  ASSERT_TRUE(off.ok()) << off;
  EXPECT_EQ(status_field(off.out, "NoNewPrivs"), "0") << off.out;
}

TEST_F(Process, SeccompErrnoRuleFailsTheSyscall) {
  BundleFixture fx({.args = {"sh", "-c", "mkdir /tmp/blocked; echo rc=$?; touch /tmp/allowed; echo touch=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& a = fx.config().GetAllocator();
  rapidjson::Value rule(rapidjson::kObjectType);
  rule.AddMember("names", string_array({"mkdir", "mkdirat"}, a), a);
  rule.AddMember("action", "SCMP_ACT_ERRNO", a);
  rule.AddMember("errnoRet", ENOSYS, a);
  rapidjson::Value rules(rapidjson::kArrayType);
  rules.PushBack(rule, a);
  set_seccomp(fx, std::move(rules));
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "rc=1\ntouch=0\n");
  EXPECT_NE(r.err.find("Function not implemented"), std::string::npos) << r;
  EXPECT_FALSE(path_exists(fx.rootfs() + "/tmp/blocked"));
}

TEST_F(Process, SeccompArgumentConditionMatchesOnlyThatArgument) {
  // kill(pid, SIGUSR1) is refused; kill(pid, 0) is not.
  BundleFixture fx({.args = {"sh", "-c", "kill -USR1 $$; echo usr1=$?; kill -0 $$; echo zero=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& a = fx.config().GetAllocator();
  rapidjson::Value cond(rapidjson::kObjectType);
  cond.AddMember("index", 1, a);
  cond.AddMember("value", 10, a);  // SIGUSR1
  cond.AddMember("op", "SCMP_CMP_EQ", a);
  rapidjson::Value conds(rapidjson::kArrayType);
  conds.PushBack(cond, a);
  rapidjson::Value rule(rapidjson::kObjectType);
  rule.AddMember("names", string_array({"kill"}, a), a);
  rule.AddMember("action", "SCMP_ACT_ERRNO", a);
  rule.AddMember("errnoRet", ENOSYS, a);
  rule.AddMember("args", conds, a);
  rapidjson::Value rules(rapidjson::kArrayType);
  rules.PushBack(rule, a);
  set_seccomp(fx, std::move(rules));
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "usr1=1\nzero=0\n");
  EXPECT_NE(r.err.find("Function not implemented"), std::string::npos) << r;
}

TEST_F(Process, SeccompUnknownActionIsAClearError) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& a = fx.config().GetAllocator();
  rapidjson::Value rule(rapidjson::kObjectType);
  rule.AddMember("names", string_array({"mkdir"}, a), a);
  rule.AddMember("action", "SCMP_ACT_BERTH_BOGUS", a);
  rapidjson::Value rules(rapidjson::kArrayType);
  rules.PushBack(rule, a);
  set_seccomp(fx, std::move(rules));
  fx.save_config();
  RunResult r = run_container(fx);
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("SCMP_ACT_BERTH_BOGUS"), std::string::npos) << r;
  EXPECT_NE(r.err.find("linux.seccomp"), std::string::npos) << r;
}

TEST_F(Process, AppArmorProfileOnAHostWithoutAppArmorIsAClearError) {
  auto enabled = read_file("/sys/module/apparmor/parameters/enabled");
  if (enabled && starts_with(*enabled, "Y")) GTEST_SKIP() << "AppArmor is enabled on this host";
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  set_member(config["process"], "apparmorProfile", rapidjson::Value("berth-it-profile"), config.GetAllocator());
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("berth-it-profile"), std::string::npos) << r;
  EXPECT_NE(r.err.find("AppArmor is not enabled"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
}

TEST_F(Process, NoHostFdLeaksIntoTheContainer) {
  BundleFixture fx({.args = {"ls", "/proc/self/fd"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  // An fd of the test process without O_CLOEXEC, and more opened by the caller of berth-oci.
  int leaky = ::open("/etc/hostname", O_RDONLY);
  ASSERT_GE(leaky, 0);
  RunResult r = fx.berth_oci_with_fds("3</etc/hostname 5</ 9</tmp", {"run", "--bundle", fx.bundle(), fx.new_id()});
  ::close(leaky);
  ASSERT_TRUE(r.ok()) << r;
  // 0-2, and the fd ls reads the directory with.
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"0", "1", "2", "3"})) << r.out;
}

TEST_F(Process, PreserveFdsPassesFd3) {
  BundleFixture fx({.args = {"sh", "-c", "cat <&3; ls /proc/self/fd"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string file = fx.dir() + "/preserved";
  ASSERT_TRUE(write_file(file, "through fd 3\n").ok());
  RunResult r = fx.berth_oci_with_fds("3<'" + file + "' 4</",
                                      {"run", "--preserve-fds", "1", "--bundle", fx.bundle(), fx.new_id()});
  ASSERT_TRUE(r.ok()) << r;
  // fd 3 is kept; fd 4 (not preserved) is closed, and reused by ls for its directory.
  EXPECT_EQ(lines_of(r.out), (std::vector<std::string>{"through fd 3", "0", "1", "2", "3", "4"})) << r.out;
}

// CVE-2024-21626: a process.cwd of /proc/self/fd/N where N is an fd on a host directory
// (leaked by the runtime, or passed in) would start the process outside its rootfs.
TEST_F(Process, Cve_2024_21626_CwdOutsideRootIsRefused) {
  BundleFixture fx({.args = {"sh", "-c", "pwd; ls"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string host_dir = fx.dir() + "/host-side";
  ASSERT_TRUE(mkdir_p(host_dir).ok());
  ASSERT_TRUE(write_file(host_dir + "/HOST-MARKER", "").ok());

  auto check = [&](const RunResult& r, const std::string& what) {
    EXPECT_EQ(r.out.find("HOST-MARKER"), std::string::npos) << what << ": the process ran in a host directory\n" << r;
    EXPECT_EQ(r.out.find("unreachable"), std::string::npos) << what << "\n" << r;
    if (r.exit_code == 0) {
      EXPECT_TRUE(starts_with(r.out, "/")) << what << "\n" << r;
    } else {
      EXPECT_NE(r.err.find("cwd"), std::string::npos) << what << ": unclear error\n" << r;
    }
  };
  // The runtime's own fds (and a caller's host directory fds it was given without asking).
  const std::string host_fds = "3<'" + host_dir + "' 4<'" + host_dir + "' 8<'" + host_dir + "'";
  for (int fd = 3; fd <= 9; ++fd) {
    auto& config = fx.config();
    std::string cwd = "/proc/self/fd/" + std::to_string(fd);
    set_member(config["process"], "cwd", rapidjson::Value(cwd.c_str(), config.GetAllocator()), config.GetAllocator());
    fx.save_config();
    RunResult r = fx.berth_oci_with_fds(host_fds, {"run", "--bundle", fx.bundle(), fx.new_id()});
    check(r, "cwd " + cwd);
  }
  // A host directory passed in with --preserve-fds.
  auto& config = fx.config();
  set_member(config["process"], "cwd", rapidjson::Value("/proc/self/fd/3"), config.GetAllocator());
  fx.save_config();
  RunResult preserved = fx.berth_oci_with_fds("3<'" + host_dir + "'",
                                              {"run", "--preserve-fds", "1", "--bundle", fx.bundle(), fx.new_id()});
  check(preserved, "preserved fd 3 on a host directory");
  EXPECT_NE(preserved.exit_code, 0) << "a cwd on a host directory must be refused\n" << preserved;
  EXPECT_NE(preserved.err.find("outside the container root"), std::string::npos) << preserved;
}

}  // namespace
}  // namespace berth::integration
