// CNI with Debian's containernetworking-plugins (bridge + host-local + portmap, loopback),
// driven by berth's runner. Everything happens inside a private network namespace standing
// for the host (made on the test's own thread, inherited by the plugins it spawns), so the
// bridge, veths and iptables chains the plugins make vanish with it. Needs root.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "common/fd.h"
#include "common/file.h"
#include "networking/cni/cni_runner.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/networking.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPluginDir = "/usr/lib/cni";

// Runs `body` on a thread of its own in a new network namespace (loopback up).
void on_private_host(const std::function<void()>& body) {
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "unshare(CLONE_NEWNET): " << std::strerror(errno);
      return;
    }
    RunResult lo = run_cmd({"ip", "link", "set", "lo", "up"});
    ASSERT_TRUE(lo.ok()) << lo;
    body();
  });
  t.join();
}

// What a TCP exchange with the echo server at ip:port answers, "" when nothing answers.
std::string ping(const std::string& ip, uint16_t port) {
  auto answer = exchange(-1, SocketKind::kTcp, ip, port, "ping");
  return answer ? *answer : std::string();
}

std::string bridge_list(const std::string& bridge, const std::string& ipam_dir) {
  return R"({"cniVersion": "1.0.0", "name": "berth-it", "plugins": [
    {"type": "bridge", "bridge": ")" +
         bridge + R"(", "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "dataDir": ")" +
         ipam_dir + R"(", "ranges": [[{"subnet": "10.249.7.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true}]})";
}

TEST(CniPlugins, BridgeHostLocalPortmapAttachPublishAndDetachAfterARestart) {
  skip_unless_root();
  for (const char* p : {"bridge", "host-local", "portmap"}) {
    if (!path_exists(std::string(kPluginDir) + "/" + p)) GTEST_SKIP() << "no CNI plugin " << p << " in " << kPluginDir;
  }
  TempDir tmp("berth-it-cni-");
  const std::string bridge = "berthcni" + std::to_string(::getpid() % 100000);
  auto list = cni::parse_network_config(bridge_list(bridge, tmp.path() + "/ipam"), tmp.path() + "/net.conflist");
  ASSERT_TRUE(list) << list.error().message();
  const cni::RunnerOptions options{{kPluginDir}, tmp.path() + "/cache", 30s};

  on_private_host([&] {
    NamedNetns netns(berth_name("cni-"));
    ASSERT_TRUE(netns.ok()) << netns.error();
    const cni::Attachment a{"berth-it-c1", netns.path(), "eth0", {{18080, 80, "tcp", ""}}, {}};
    auto result = cni::CniRunner(options).add(*list, a);
    ASSERT_TRUE(result) << result.error().message();
    ASSERT_FALSE(result->ips.empty());
    const std::string cidr = result->ips[0].address;
    const std::string ip = cidr.substr(0, cidr.find('/'));
    EXPECT_EQ(cidr.rfind("10.249.7.", 0), 0U) << cidr;
    RunResult addr = netns.run({"ip", "-4", "-o", "addr", "show", "eth0"});
    EXPECT_NE(addr.out.find(cidr), std::string::npos) << addr;

    EchoServer server(netns.fd(), 80);
    ASSERT_TRUE(server.ok()) << server.error();
    EXPECT_EQ(ping(ip, 80), "pong ping") << "the host reaches the container's address";
    EXPECT_EQ(ping("10.249.7.1", 18080), "pong ping") << "the published port answers on the host's address";
    // Debian's portmap 1.1.1 fails CHECK on an IPv4-only attachment ("could not check ipv6
    // dnat", fixed upstream later); bridge and host-local are checked.
    cni::NetworkConfigList checkable = *list;
    checkable.plugins.pop_back();
    auto checked = cni::CniRunner(options).check(checkable, a);
    EXPECT_TRUE(checked) << "CHECK of a healthy attachment: " << checked.error().message();
    ASSERT_TRUE(netns.run({"ip", "addr", "del", cidr, "dev", "eth0"}).ok());
    EXPECT_FALSE(cni::CniRunner(options).check(checkable, a)) << "CHECK must see the address is gone";

    // A restarted daemon detaches from the cache.
    ASSERT_TRUE(cni::CniRunner(options).del(*list, a));
    RunResult gone = netns.run({"ip", "link", "show", "eth0"});
    EXPECT_FALSE(gone.ok()) << "eth0 is still in the container's namespace: " << gone;
    EXPECT_EQ(ping("10.249.7.1", 18080), "") << "the published port is gone";
    RunResult nat = run_cmd({"iptables", "-t", "nat", "-S"});
    EXPECT_EQ(nat.out.find("berth-it-c1"), std::string::npos) << "portmap rules left: " << nat.out;
    auto leases = list_dir(tmp.path() + "/ipam/berth-it");
    size_t ip_files = 0;
    if (leases) {
      for (const auto& f : *leases) ip_files += f.rfind("10.249.7.", 0) == 0 ? 1 : 0;
    }
    EXPECT_EQ(ip_files, 0U) << "host-local still holds the address";
  });
}

TEST(CniPlugins, LoopbackPluginBringsLoUp) {
  skip_unless_root();
  if (!path_exists(std::string(kPluginDir) + "/loopback")) GTEST_SKIP() << "no CNI loopback plugin";
  TempDir tmp("berth-it-cni-");
  auto list = cni::parse_network_config(R"({"cniVersion": "1.0.0", "name": "lo", "type": "loopback"})", "lo.conf");
  ASSERT_TRUE(list);
  NamedNetns netns(berth_name("cnilo-"));
  ASSERT_TRUE(netns.ok()) << netns.error();
  const cni::CniRunner runner({{kPluginDir}, tmp.path() + "/cache", 30s});
  const cni::Attachment a{"berth-it-lo", netns.path(), "lo", {}, {}};
  ASSERT_TRUE(runner.add(*list, a));
  RunResult lo = netns.run({"ip", "-o", "link", "show", "lo"});
  EXPECT_NE(lo.out.find("UP"), std::string::npos) << lo;
  ASSERT_TRUE(runner.del(*list, a));
}

}  // namespace
}  // namespace berth::integration
