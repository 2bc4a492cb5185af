// The ports isolator watching real busybox containers made by berth-oci: a container in its own
// network namespace listening outside its allotment is reported (for killing, under the kill
// policy) and one listening inside it is not; recover() finds the namespace again through the
// container's cgroup; on the host's network only the container's own sockets count.
// Runs real containers: needs root. Listeners are on loopback or inside a test namespace.
#include "isolators/ports/ports_isolator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "isolators/ports/outside_allotment.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

using namespace std::chrono_literals;
using isolators::ContainerConfig;
using isolators::LaunchAdditions;
using isolators::Limitation;
using isolators::PortRange;
using isolators::Usage;
using isolators::ports::PortPolicy;
using isolators::ports::PortsIsolator;

constexpr auto kDeadline = 10s;  // for a started container to be listening

ContainerConfig container(const std::string& id, std::vector<PortRange> ports) {
  ContainerConfig c;
  c.id = id;
  c.cgroup = "/berth/" + id;  // where berth-oci puts a container without cgroupsPath
  c.resources.ports = std::move(ports);
  return c;
}

// prepare, `berth-oci create`, isolate with the init's pid from `state`, `start`.
void create_isolate_start(BundleFixture& fx, PortsIsolator& iso, const ContainerConfig& c) {
  LaunchAdditions out;
  auto prepared = iso.prepare(c, out);
  ASSERT_TRUE(prepared.ok()) << prepared.error().message();
  RunResult created = fx.berth_oci({"create", "--bundle", fx.bundle(), c.id});
  ASSERT_TRUE(created.ok()) << created;
  const int pid = pid_of(fx, c.id);
  ASSERT_GT(pid, 0) << fx.berth_oci({"state", c.id});
  auto isolated = iso.isolate(c, pid);
  ASSERT_TRUE(isolated.ok()) << isolated.error().message();
  RunResult started = fx.berth_oci({"start", c.id});
  ASSERT_TRUE(started.ok()) << started;
}

std::vector<uint16_t> ports_of(PortsIsolator& iso, const ContainerConfig& c) {
  Usage u;
  auto s = iso.usage(c, u);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return u.listening_ports;
}

// Polls check() until it reports a limitation or the deadline passes.
std::optional<Limitation> first_limitation(PortsIsolator& iso, const ContainerConfig& c) {
  std::optional<Limitation> found;
  std::string error;
  eventually(
      [&] {
        auto l = iso.check(c);
        if (!l) error = l.error().message();
        if (l && *l) found = **l;
        return found.has_value() || !l;
      },
      kDeadline);
  EXPECT_EQ(error, "");
  return found;
}

class PortsIsolatorIntegration : public ::testing::Test {
 protected:
  void SetUp() override { skip_unless_root(); }
};

TEST_F(PortsIsolatorIntegration, ContainerListeningOutsideItsAllotmentIsReportedForKilling) {
  BundleFixture fx({.args = {"nc", "-l", "-p", "8080"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  PortsIsolator iso({.scan_interval = 0ms, .policy = PortPolicy::kKill});
  auto c = container(fx.new_id("ports"), {{9000, 9009}});
  ASSERT_NO_FATAL_FAILURE(create_isolate_start(fx, iso, c));

  auto l = first_limitation(iso, c);
  ASSERT_TRUE(l.has_value()) << "no report of nc on 8080; listening: " << ::testing::PrintToString(ports_of(iso, c));
  EXPECT_EQ(l->resource, "ports");
  EXPECT_EQ(l->reason, isolators::ports::kPortsOutsideAllotment);
  EXPECT_EQ(l->message, "container \"" + c.id + "\" listens on 8080/tcp outside its allotted ports 9000-9009");
  EXPECT_TRUE(l->kill);
  EXPECT_EQ(ports_of(iso, c), std::vector<uint16_t>{8080});

  // After a restart of the engine: the namespace is found again through the container's cgroup.
  PortsIsolator recovered({.scan_interval = 0ms, .policy = PortPolicy::kKill});
  ASSERT_TRUE(recovered.recover({c}).ok());
  auto again = recovered.check(c);
  ASSERT_TRUE(again.ok()) << again.error().message();
  ASSERT_TRUE(again->has_value()) << "recover() did not find the container's network namespace";
  EXPECT_EQ((*again)->message, l->message);

  EXPECT_TRUE(iso.cleanup(c).ok());
  EXPECT_TRUE(recovered.cleanup(c).ok());
}

TEST_F(PortsIsolatorIntegration, ContainerListeningInsideItsAllotmentIsNotReported) {
  BundleFixture fx({.args = {"nc", "-l", "-p", "8080"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  PortsIsolator iso({.scan_interval = 0ms, .policy = PortPolicy::kKill});
  auto c = container(fx.new_id("ports"), {{8000, 8099}});
  ASSERT_NO_FATAL_FAILURE(create_isolate_start(fx, iso, c));

  ASSERT_TRUE(eventually([&] { return ports_of(iso, c) == std::vector<uint16_t>{8080}; }, kDeadline))
      << "usage never listed nc's 8080: " << ::testing::PrintToString(ports_of(iso, c));
  auto l = iso.check(c);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_FALSE(l->has_value()) << (*l)->message;
  EXPECT_TRUE(iso.cleanup(c).ok());
}

// A TCP listener of this test process on 127.0.0.1 (kernel-chosen port).
struct HostListener {
  UniqueFd fd;
  uint16_t port = 0;
};

HostListener listen_on_loopback() {
  HostListener l;
  l.fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (!l.fd || ::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(l.fd.get(), 1) != 0 ||
      ::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return {};
  }
  l.port = ntohs(addr.sin_port);
  return l;
}

TEST_F(PortsIsolatorIntegration, OnTheHostNetworkOnlyTheContainersOwnSocketsCount) {
  // A free port for the container: the kernel picks one for a socket that is then closed.
  const uint16_t port = listen_on_loopback().port;
  ASSERT_NE(port, 0);
  BundleFixture fx({.args = {"httpd", "-f", "-h", "/", "-p", "127.0.0.1:" + std::to_string(port)}, .net = false});
  ASSERT_TRUE(fx.ok()) << fx.error();
  // This process listens on the same (host) network, outside the container's allotment.
  HostListener ours = listen_on_loopback();
  ASSERT_NE(ours.port, 0);
  PortsIsolator iso({.scan_interval = 0ms});
  auto c = container(fx.new_id("hostports"), {{1, 1}});
  ASSERT_NO_FATAL_FAILURE(create_isolate_start(fx, iso, c));

  auto l = first_limitation(iso, c);
  ASSERT_TRUE(l.has_value()) << "no report of httpd on " << port;
  EXPECT_EQ(l->message,
            "container \"" + c.id + "\" listens on " + std::to_string(port) + "/tcp outside its allotted ports 1");
  EXPECT_FALSE(l->kill);
  EXPECT_EQ(ports_of(iso, c), std::vector<uint16_t>{port}) << "this process's port is " << ours.port;
  EXPECT_TRUE(iso.cleanup(c).ok());
}

}  // namespace
}  // namespace berth::integration
