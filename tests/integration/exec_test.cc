// `exec`: a new process in a running container, in its namespaces and cgroups, with the
// flags runc has (--env, --cwd, --user, --tty, --detach, --pid-file, --process).
// Runs real busybox containers: needs root.
#include <rapidjson/document.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/console_socket.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

// A running container (init: sleep) with a hostname, for exec to go into.
class Exec : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    fx_ = std::make_unique<BundleFixture>(BundleOptions{.args = {"sleep", "60"}});
    ASSERT_TRUE(fx_->ok()) << fx_->error();
    auto& config = fx_->config();
    set_member(config, "hostname", rapidjson::Value("berth-exec"), config.GetAllocator());
    fx_->save_config();
    id_ = fx_->new_id();
    RunResult r = fx_->berth_oci({"run", "--detach", "--bundle", fx_->bundle(), id_});
    ASSERT_TRUE(r.ok()) << r;
  }

  RunResult exec(std::vector<std::string> args) {
    std::vector<std::string> argv = {"exec"};
    argv.insert(argv.end(), args.begin(), args.end());
    return fx_->berth_oci(argv);
  }

  std::unique_ptr<BundleFixture> fx_;
  std::string id_;
};

TEST_F(Exec, RunsInTheContainersNamespaces) {
  RunResult r = exec({id_, "sh", "-c", "hostname; cat /proc/1/comm; echo $$"});
  ASSERT_TRUE(r.ok()) << r;
  auto lines = split(trim(r.out), '\n');
  ASSERT_EQ(lines.size(), 3U) << r.out;
  EXPECT_EQ(lines[0], "berth-exec");
  EXPECT_EQ(lines[1], "sleep") << "pid 1 is not the container's init";
  auto pid = parse_uint(lines[2]);
  ASSERT_TRUE(pid.has_value()) << r.out;
  EXPECT_LT(*pid, 100U) << "the exec'd process is not in the container's pid namespace";
}

TEST_F(Exec, SharesTheInitsNamespaceLinks) {
  const int init = pid_of(*fx_, id_);
  for (const char* ns : {"mnt", "net", "ipc", "uts", "pid", "cgroup"}) {
    RunResult r = exec({id_, "readlink", std::string("/proc/self/ns/") + ns});
    ASSERT_TRUE(r.ok()) << r;
    char buf[128] = {};
    std::string link = "/proc/" + std::to_string(init) + "/ns/" + ns;
    ASSERT_GT(::readlink(link.c_str(), buf, sizeof buf - 1), 0) << link;
    EXPECT_EQ(trim(r.out), buf) << ns;
  }
}

TEST_F(Exec, ExitCodePropagates) {
  RunResult r = exec({id_, "sh", "-c", "exit 42"});
  EXPECT_EQ(r.exit_code, 42) << r;
}

TEST_F(Exec, EnvAndCwdFlagsApply) {
  RunResult r = exec({"--env", "FOO=bar baz", "--cwd", "/tmp", id_, "sh", "-c", "echo \"$FOO|$(pwd)\""});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "bar baz|/tmp\n");
}

TEST_F(Exec, EnvOverridesTheContainersValue) {
  RunResult r = exec({"--env", "PATH=/bin:/usr/bin:/berth", id_, "sh", "-c", "echo $PATH"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "/bin:/usr/bin:/berth\n");
}

TEST_F(Exec, UserFlagSetsUidAndGid) {
  RunResult r = exec({"--user", "1000:1000", id_, "sh", "-c", "id -u; id -g"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1000\n1000\n");
}

TEST_F(Exec, TtyHandsAPtyToTheConsoleSocket) {
  ConsoleSocket console(fx_->dir() + "/exec-console.sock");
  ASSERT_TRUE(console.ok());
  RunResult r = exec(
      {"--tty", "--detach", "--console-socket", console.path(), id_, "sh", "-c", "tty; read line; echo \"got:$line\""});
  ASSERT_TRUE(r.ok()) << r;
  UniqueFd master = console.receive();
  ASSERT_TRUE(master) << "no pty master on the console socket";
  std::string out;
  ASSERT_TRUE(read_until(master.get(), out, "/dev/pts/")) << out;
  ASSERT_EQ(::write(master.get(), "pong\n", 5), 5);
  EXPECT_TRUE(read_until(master.get(), out, "got:pong")) << out;
}

TEST_F(Exec, TtyWithoutConsoleSocketIsRefused) {
  RunResult r = exec({"--tty", id_, "true"});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("--console-socket"), std::string::npos) << r;
}

TEST_F(Exec, DetachWritesThePidFile) {
  const std::string pid_file = fx_->dir() + "/exec.pid";
  RunResult r = exec({"--detach", "--pid-file", pid_file, id_, "sleep", "30"});
  ASSERT_TRUE(r.ok()) << r;
  auto text = read_file(pid_file);
  ASSERT_TRUE(text.ok()) << "no pid file";
  auto pid = parse_uint(trim(*text));
  ASSERT_TRUE(pid.has_value()) << *text;
  std::string comm;
  eventually([&] {
    auto text = read_file("/proc/" + std::to_string(*pid) + "/comm");
    comm = text ? *text : "<gone>";
    return comm == "sleep\n";
  });
  EXPECT_EQ(comm, "sleep\n") << "pid " << *pid << " is not the exec'd process";
  RunResult ps = fx_->berth_oci({"ps", "--format", "json", id_});
  EXPECT_NE(ps.out.find(std::to_string(*pid)), std::string::npos) << "ps does not list the exec'd process: " << ps.out;
}

TEST_F(Exec, ProcessFileDescribesTheProcess) {
  const std::string process = fx_->dir() + "/process.json";
  ASSERT_TRUE(write_file(process, R"json({
    "terminal": false,
    "user": {"uid": 123, "gid": 456},
    "args": ["sh", "-c", "echo from-file $X $(id -u):$(id -g) $(pwd)"],
    "env": ["PATH=/bin:/usr/bin", "X=42"],
    "cwd": "/tmp"
  })json")
                  .ok());
  RunResult r = exec({"--process", process, id_});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "from-file 42 123:456 /tmp\n");
}

TEST_F(Exec, MissingBinaryIsAClearError) {
  RunResult r = exec({id_, "berth-no-such-binary"});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("berth-no-such-binary"), std::string::npos) << "the failure is not explained\n" << r;
}

TEST_F(Exec, DetachedExecOfAMissingBinaryFails) {
  RunResult r = exec({"--detach", id_, "berth-no-such-binary"});
  EXPECT_NE(r.exit_code, 0) << "a detached exec that never started reported success\n" << r;
  EXPECT_NE(r.err.find("berth-no-such-binary"), std::string::npos) << r;
}

TEST_F(Exec, MissingCwdIsAClearError) {
  RunResult r = exec({"--cwd", "/berth/no/such/dir", id_, "true"});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("/berth/no/such/dir"), std::string::npos) << "the failure is not explained\n" << r;
}

TEST_F(Exec, NoCallerFdLeaksIntoTheProcess) {
  RunResult r = fx_->berth_oci_with_fds("3</etc/hostname 5</ 9</tmp", {"exec", id_, "ls", "/proc/self/fd"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "0\n1\n2\n3\n") << "fds leaked into the exec'd process";
}

TEST_F(Exec, PreserveFdsPassesFd3) {
  const std::string file = fx_->dir() + "/preserved";
  ASSERT_TRUE(write_file(file, "exec fd 3\n").ok());
  RunResult r =
      fx_->berth_oci_with_fds("3<'" + file + "' 4</", {"exec", "--preserve-fds", "1", id_, "sh", "-c", "cat <&3"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "exec fd 3\n");
}

TEST_F(Exec, IntoAStoppedContainerIsRefused) {
  ASSERT_TRUE(fx_->berth_oci({"kill", id_, "KILL"}).ok());
  ASSERT_TRUE(eventually([&] { return status_of(*fx_, id_) == "stopped"; }));
  RunResult r = exec({id_, "true"});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("stopped"), std::string::npos) << r;
}

TEST_F(Exec, IntoAMissingContainerIsRefused) {
  RunResult r = exec({"berth-it-no-such-container", "true"});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r;
}

TEST_F(Exec, ExecdProcessJoinsTheContainersCgroup) {
  const std::string pid_file = fx_->dir() + "/exec.pid";
  RunResult r = exec({"--detach", "--pid-file", pid_file, id_, "sleep", "30"});
  ASSERT_TRUE(r.ok()) << r;
  auto text = read_file(pid_file);
  ASSERT_TRUE(text.ok());
  auto pid = parse_uint(trim(*text));
  ASSERT_TRUE(pid.has_value());
  auto exec_cgroup = read_file("/proc/" + std::to_string(*pid) + "/cgroup");
  auto init_cgroup = read_file("/proc/" + std::to_string(pid_of(*fx_, id_)) + "/cgroup");
  ASSERT_TRUE(exec_cgroup.ok() && init_cgroup.ok());
  EXPECT_EQ(*exec_cgroup, *init_cgroup);
  EXPECT_NE(init_cgroup->find("/berth/" + id_), std::string::npos) << *init_cgroup;
}

TEST_F(Exec, ExecdProcessGetsTheContainersRestrictions) {
  // The default spec: capabilities bounded, no_new_privs, seccomp.
  RunResult r = exec({id_, "grep", "-E", "^(CapBnd|NoNewPrivs|Seccomp):", "/proc/self/status"});
  ASSERT_TRUE(r.ok()) << r;
  RunResult init = exec({id_, "grep", "-E", "^(CapBnd|NoNewPrivs|Seccomp):", "/proc/1/status"});
  ASSERT_TRUE(init.ok()) << init;
  EXPECT_EQ(r.out, init.out);
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace berth::integration
