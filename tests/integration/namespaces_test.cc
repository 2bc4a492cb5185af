// Namespaces as a container sees them: its own pids, hostname, network, ipc, cgroup and
// time views, joining an existing namespace by path, and a user namespace's id mappings.
// Runs real busybox containers: needs root.
#include <rapidjson/document.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

// "net:[4026531840]" for this process (the host side).
std::string host_namespace(const char* name) {
  char buf[128] = {};
  std::string link = std::string("/proc/self/ns/") + name;
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

double uptime_seconds(const std::string& proc_uptime) { return std::strtod(proc_uptime.c_str(), nullptr); }

// A named network namespace (ip netns add), deleted at scope exit.
class NamedNetns {
 public:
  NamedNetns() : name_("berth-it-" + std::to_string(::getpid()) + "-netns") {
    (void)run_cmd({"ip", "netns", "delete", name_});
    RunResult r = run_cmd({"ip", "netns", "add", name_});
    if (!r.ok()) error_ = "ip netns add failed:\n" + r.err;
  }
  ~NamedNetns() {
    if (error_.empty()) (void)run_cmd({"ip", "netns", "delete", name_});
  }
  NamedNetns(const NamedNetns&) = delete;
  NamedNetns& operator=(const NamedNetns&) = delete;

  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::string path() const { return "/run/netns/" + name_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string error_;
};

class Namespaces : public ::testing::Test {
 protected:
  void SetUp() override { skip_unless_root(); }
};

TEST_F(Namespaces, PidNamespaceShowsOnlyTheContainersProcesses) {
  BundleFixture fx({.args = {"sh", "-c", "echo pid=$$; ls /proc | grep '^[0-9]*$'"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty()) << r;
  EXPECT_EQ(lines[0], "pid=1") << "the command is not pid 1 of its namespace";
  // sh (1), ls and grep: nothing of the host's.
  std::vector<std::string> pids(lines.begin() + 1, lines.end());
  EXPECT_LE(pids.size(), 3U) << "pids seen: " << join(pids, " ");
  EXPECT_EQ(pids.front(), "1");
}

TEST_F(Namespaces, PsInTheContainerShowsTheCommandAsPid1) {
  BundleFixture fx({.args = {"sh", "-c", "ps -o pid,args; true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 2U) << r.out;
  EXPECT_TRUE(starts_with(lines[1], "1 ")) << r.out;
  EXPECT_NE(lines[1].find("sh -c ps -o pid,args; true"), std::string::npos) << r.out;
  EXPECT_LE(lines.size(), 3U) << "more than sh and ps:\n" << r.out;
}

TEST_F(Namespaces, HostnameComesFromConfig) {
  BundleFixture fx({.args = {"hostname"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  set_member(config, "hostname", rapidjson::Value("berth-it-host", config.GetAllocator()), config.GetAllocator());
  fx.save_config();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "berth-it-host\n");
  char after[256] = {};
  ::gethostname(after, sizeof after - 1);
  EXPECT_STREQ(after, host) << "the host's hostname changed";
}

TEST_F(Namespaces, DomainnameComesFromConfig) {
  BundleFixture fx({.args = {"cat", "/proc/sys/kernel/domainname"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  set_member(config, "domainname", rapidjson::Value("berth.example", config.GetAllocator()), config.GetAllocator());
  fx.save_config();
  auto host_before = read_file("/proc/sys/kernel/domainname");
  ASSERT_TRUE(host_before.ok());
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "berth.example\n");
  auto host_after = read_file("/proc/sys/kernel/domainname");
  ASSERT_TRUE(host_after.ok());
  EXPECT_EQ(*host_after, *host_before) << "the host's domainname changed";
}

TEST_F(Namespaces, HostnameWithoutAUtsNamespaceIsRefused) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& namespaces = fx.config()["linux"]["namespaces"];
  for (auto it = namespaces.Begin(); it != namespaces.End(); ++it) {
    if (std::string((*it)["type"].GetString()) == "uts") {
      namespaces.Erase(it);
      break;
    }
  }
  fx.save_config();
  RunResult r = run_container(fx);
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("uts namespace"), std::string::npos) << r;
}

TEST_F(Namespaces, PrivateNetworkHasOnlyLoopback) {
  BundleFixture fx({.args = {"sh", "-c", "ls /sys/class/net; readlink /proc/self/ns/net"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2U) << r.out;
  EXPECT_EQ(lines[0], "lo");
  EXPECT_NE(lines[1], host_namespace("net"));
}

TEST_F(Namespaces, WithoutANetworkNamespaceTheHostNetworkIsShared) {
  BundleFixture fx({.args = {"readlink", "/proc/self/ns/net"}, .net = false});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(trim(r.out), host_namespace("net"));
}

TEST_F(Namespaces, IpcNamespaceIsSeparate) {
  BundleFixture fx({.args = {"readlink", "/proc/self/ns/ipc"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(starts_with(r.out, "ipc:[")) << r.out;
  EXPECT_NE(trim(r.out), host_namespace("ipc"));
}

TEST_F(Namespaces, JoinsAnExistingNetworkNamespaceByPath) {
  NamedNetns netns;
  if (!netns.error().empty()) GTEST_SKIP() << "cannot make a network namespace: " << netns.error();
  struct stat st {};
  ASSERT_EQ(::stat(netns.path().c_str(), &st), 0);
  const std::string want = "net:[" + std::to_string(st.st_ino) + "]";
  // Something only that namespace has: its loopback is down until we bring it up.
  ASSERT_TRUE(run_cmd({"ip", "netns", "exec", netns.name(), "ip", "link", "set", "lo", "up"}).ok());

  BundleFixture fx({.args = {"sh", "-c", "readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_namespace(fx, "network", netns.path());
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2U) << r.out;
  EXPECT_EQ(lines[0], want);
  EXPECT_EQ(lines[1], "unknown") << "lo of the joined namespace is up (operstate unknown for lo)";
}

TEST_F(Namespaces, JoiningAMissingNamespacePathIsAClearError) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_namespace(fx, "network", "/run/netns/berth-it-no-such-netns");
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("/run/netns/berth-it-no-such-netns"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
}

TEST_F(Namespaces, UserNamespaceMapsRootToTheHostRange) {
  BundleFixture fx({.args = {"sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/made"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  set_namespace(fx, "user");
  auto mapping = [&] {
    rapidjson::Value maps(rapidjson::kArrayType);
    rapidjson::Value m(rapidjson::kObjectType);
    m.AddMember("containerID", 0, a);
    m.AddMember("hostID", 100000, a);
    m.AddMember("size", 65536, a);
    maps.PushBack(m, a);
    return maps;
  };
  set_member(config["linux"], "uidMappings", mapping(), a);
  set_member(config["linux"], "gidMappings", mapping(), a);
  fx.save_config();
  RunResult chown = run_cmd({"chown", "-R", "100000:100000", fx.rootfs()});
  ASSERT_TRUE(chown.ok()) << chown;

  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 4U) << r.out;
  EXPECT_EQ(lines[0], "0");
  EXPECT_EQ(lines[1], "0");
  auto fields = [](const std::string& l) {
    auto f = split(l, ' ');
    std::erase_if(f, [](const std::string& s) { return s.empty(); });
    return join(f, " ");
  };
  EXPECT_EQ(fields(lines[2]), "0 100000 65536");
  EXPECT_EQ(fields(lines[3]), "0 100000 65536");
  // Root in the container is uid 100000 on the host.
  struct stat st {};
  ASSERT_EQ(::stat((fx.rootfs() + "/tmp/made").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 100000U);
  EXPECT_EQ(st.st_gid, 100000U);
}

TEST_F(Namespaces, UserNamespaceWithoutMappingsIsRefused) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_namespace(fx, "user");
  fx.save_config();
  RunResult r = run_container(fx);
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("uidMappings"), std::string::npos) << r;
}

TEST_F(Namespaces, CgroupNamespaceShowsTheContainersCgroupAsRoot) {
  BundleFixture fx({.args = {"cat", "/proc/self/cgroup"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_namespace(fx, "cgroup");
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty());
  // On the host the container is in .../berth/<id>; inside, its cgroup is the root.
  for (const auto& l : lines) EXPECT_TRUE(l.size() >= 2 && l.substr(l.size() - 2) == ":/") << l;
}

TEST_F(Namespaces, WithoutACgroupNamespaceTheHostPathShows) {
  BundleFixture fx({.args = {"cat", "/proc/self/cgroup"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& namespaces = fx.config()["linux"]["namespaces"];
  for (auto it = namespaces.Begin(); it != namespaces.End(); ++it) {
    if (std::string((*it)["type"].GetString()) == "cgroup") {
      namespaces.Erase(it);
      break;
    }
  }
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_NE(r.out.find("/berth/" + id), std::string::npos) << r.out;
}

TEST_F(Namespaces, TimeNamespaceOffsetsTheBoottimeClock) {
  if (!path_exists("/proc/self/ns/time")) GTEST_SKIP() << "the kernel has no time namespaces";
  BundleFixture fx({.args = {"cat", "/proc/uptime"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  set_namespace(fx, "time");
  rapidjson::Value offsets(rapidjson::kObjectType);
  rapidjson::Value boottime(rapidjson::kObjectType);
  boottime.AddMember("secs", 86400, a);
  boottime.AddMember("nanosecs", 0, a);
  offsets.AddMember("boottime", boottime, a);
  set_member(config["linux"], "timeOffsets", std::move(offsets), a);
  fx.save_config();

  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  auto host = read_file("/proc/uptime");
  ASSERT_TRUE(host.ok());
  double difference = uptime_seconds(r.out) - uptime_seconds(*host);
  EXPECT_GT(difference, 86400 - 60) << "container uptime " << r.out << "host uptime " << *host;
  EXPECT_LT(difference, 86400 + 60) << "container uptime " << r.out << "host uptime " << *host;
}

TEST_F(Namespaces, TimeNamespaceIsItsOwn) {
  if (!path_exists("/proc/self/ns/time")) GTEST_SKIP() << "the kernel has no time namespaces";
  BundleFixture fx({.args = {"readlink", "/proc/self/ns/time"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_namespace(fx, "time");
  fx.save_config();
  RunResult r = run_container(fx);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(starts_with(r.out, "time:[")) << r.out;
  EXPECT_NE(trim(r.out), host_namespace("time"));
}

}  // namespace
}  // namespace berth::integration
