// The ports isolator driven through its life cycle in this test process's own network
// namespace (no root): the "container" is this process or a forked child, so sockets are
// attributed by inode as for a container on the host's network. What is reported and when,
// what prepare/update refuse, and what cleanup and recover leave.
#include "isolators/ports/ports_isolator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "isolators/ports/outside_allotment.h"
#include "tests/unit/isolators/ports/test_sockets.h"

namespace berth::isolators::ports {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::open_socket;
using testing::Role;
using testing::TestSocket;

ContainerConfig container(const std::string& id, std::vector<PortRange> ports) {
  ContainerConfig c;
  c.id = id;
  c.resources.ports = std::move(ports);
  return c;
}

std::optional<Limitation> check_of(PortsIsolator& iso, const ContainerConfig& c) {
  auto l = iso.check(c);
  EXPECT_TRUE(l.ok()) << l.error().message();
  return l ? *l : std::nullopt;
}

std::vector<uint16_t> ports_of(PortsIsolator& iso, const ContainerConfig& c) {
  Usage u;
  auto s = iso.usage(c, u);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return u.listening_ports;
}

bool lists(const std::vector<uint16_t>& ports, uint16_t port) {
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

// prepare + isolate with this test process as the container's init.
void start_watching(PortsIsolator& iso, const ContainerConfig& c, pid_t pid = ::getpid()) {
  LaunchAdditions out;
  auto prepared = iso.prepare(c, out);
  ASSERT_TRUE(prepared.ok()) << prepared.error().message();
  auto isolated = iso.isolate(c, pid);
  ASSERT_TRUE(isolated.ok()) << isolated.error().message();
}

constexpr PortRange kAllotted{9000, 9009};  // below the kernel's ephemeral ports

TEST(PortsIsolator, ListenerOutsideTheAllotmentIsReported) {
  PortsIsolator iso({.scan_interval = 0ms});
  auto c = container("c1", {kAllotted});
  ASSERT_NO_FATAL_FAILURE(start_watching(iso, c));
  TestSocket s = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  ASSERT_FALSE(kAllotted.contains(s.port));

  auto l = check_of(iso, c);
  ASSERT_TRUE(l.has_value()) << "port " << s.port << " not reported";
  EXPECT_EQ(l->resource, "ports");
  EXPECT_EQ(l->reason, kPortsOutsideAllotment);
  EXPECT_NE(l->message.find("container \"c1\" listens on "), std::string::npos) << l->message;
  EXPECT_NE(l->message.find(std::to_string(s.port) + "/tcp"), std::string::npos) << l->message;
  EXPECT_NE(l->message.find("outside its allotted ports 9000-9009"), std::string::npos) << l->message;
  EXPECT_FALSE(l->kill) << "the report policy must not ask for a kill";
}

TEST(PortsIsolator, KillPolicyAsksTheEngineToKill) {
  PortsIsolator iso({.scan_interval = 0ms, .policy = PortPolicy::kKill});
  auto c = container("c1", {kAllotted});
  ASSERT_NO_FATAL_FAILURE(start_watching(iso, c));
  TestSocket s = open_socket(AF_INET, SOCK_DGRAM, Role::kBindOnly);
  auto l = check_of(iso, c);
  ASSERT_TRUE(l.has_value()) << "udp port " << s.port << " not reported";
  EXPECT_NE(l->message.find(std::to_string(s.port) + "/udp"), std::string::npos) << l->message;
  EXPECT_TRUE(l->kill);
}

TEST(PortsIsolator, ListenersInsideTheAllotmentAreNotReportedAndUsageListsThem) {
  TestSocket tcp = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  TestSocket udp = open_socket(AF_INET, SOCK_DGRAM, Role::kBindOnly);
  ASSERT_TRUE(tcp.fd && udp.fd);
  PortsIsolator iso({.scan_interval = 0ms});
  auto c = container("c1", {{tcp.port, tcp.port}, {udp.port, udp.port}});
  ASSERT_NO_FATAL_FAILURE(start_watching(iso, c));

  EXPECT_FALSE(check_of(iso, c).has_value());
  auto ports = ports_of(iso, c);
  EXPECT_TRUE(lists(ports, tcp.port) && lists(ports, udp.port)) << ::testing::PrintToString(ports);
  EXPECT_TRUE(std::is_sorted(ports.begin(), ports.end()));
  EXPECT_EQ(std::adjacent_find(ports.begin(), ports.end()), ports.end()) << "ports listed twice";
}

TEST(PortsIsolator, OtherProcessesListenersOnTheHostNetworkDoNotCount) {
  ChildProcess quiet(/*listen=*/false);
  ChildProcess listening(/*listen=*/true);
  ASSERT_GT(quiet.pid(), 0);
  ASSERT_NE(listening.port(), 0);
  PortsIsolator iso({.scan_interval = 0ms});
  auto a = container("a", {kAllotted});
  auto b = container("b", {{1, 1}});
  ASSERT_NO_FATAL_FAILURE(start_watching(iso, a, quiet.pid()));
  ASSERT_NO_FATAL_FAILURE(start_watching(iso, b, listening.pid()));

  EXPECT_FALSE(check_of(iso, a).has_value()) << "another process's listener was blamed on container a";
  EXPECT_TRUE(ports_of(iso, a).empty());
  auto l = check_of(iso, b);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->message,
            "container \"b\" listens on " + std::to_string(listening.port()) + "/tcp outside its allotted ports 1");
  EXPECT_EQ(ports_of(iso, b), std::vector<uint16_t>{listening.port()});
}

TEST(PortsIsolator, CheckScansAtMostOncePerIntervalAndAfterEachUpdate) {
  PortsIsolator iso({.scan_interval = 1h});
  auto c = container("c1", {kAllotted});
  ASSERT_NO_FATAL_FAILURE(start_watching(iso, c));
  ASSERT_FALSE(check_of(iso, c).has_value());

  TestSocket s = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  EXPECT_FALSE(check_of(iso, c).has_value()) << "scanned again within the interval";
  ASSERT_TRUE(iso.update(c, c.resources).ok());
  EXPECT_TRUE(check_of(iso, c).has_value()) << "the check after update() did not scan";
}

TEST(PortsIsolator, UpdateToAnAllotmentCoveringTheListenerClearsTheReport) {
  PortsIsolator iso({.scan_interval = 1h});
  auto c = container("c1", {kAllotted});
  ASSERT_NO_FATAL_FAILURE(start_watching(iso, c));
  TestSocket s = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  ASSERT_TRUE(check_of(iso, c).has_value());

  ResourceRequest next = c.resources;
  next.ports.push_back({s.port, s.port});
  auto updated = iso.update(c, next);
  ASSERT_TRUE(updated.ok()) << updated.error().message();
  EXPECT_FALSE(check_of(iso, c).has_value());
}

TEST(PortsIsolator, ChecksWaitForIsolate) {
  PortsIsolator iso({.scan_interval = 0ms});
  auto c = container("c1", {kAllotted});
  LaunchAdditions out;
  ASSERT_TRUE(iso.prepare(c, out).ok());
  TestSocket s = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  EXPECT_FALSE(check_of(iso, c).has_value());
  EXPECT_TRUE(ports_of(iso, c).empty());
}

TEST(PortsIsolator, PrepareRefusesAnInvalidRangeNamingTheContainerAndReservesNothing) {
  PortsIsolator iso;
  LaunchAdditions out;
  auto refused = iso.prepare(container("web", {{9010, 9000}}), out);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "container \"web\": port range 9010-9000: begin is after end");
  auto zero = iso.prepare(container("web", {{0, 5}}), out);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message().find("port 0 cannot be allotted"), std::string::npos);
  EXPECT_TRUE(iso.prepare(container("web", {kAllotted}), out).ok()) << "a refused prepare left a reservation";
}

TEST(PortsIsolator, AnAllotmentOverlappingAnotherContainersIsRefused) {
  PortsIsolator iso;
  LaunchAdditions out;
  auto c1 = container("c1", {kAllotted});
  auto c2 = container("c2", {{9005, 9010}});
  ASSERT_TRUE(iso.prepare(c1, out).ok());
  auto refused = iso.prepare(c2, out);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(),
            "container \"c2\": ports 9005-9010 overlap ports 9000-9009 allotted to container \"c1\"");

  auto c3 = container("c3", {{9010, 9019}});
  ASSERT_TRUE(iso.prepare(c3, out).ok()) << "adjacent ranges share no port";
  auto update_refused = iso.update(c3, ResourceRequest{.ports = {{9009, 9019}}});
  EXPECT_FALSE(update_refused.ok()) << "update() let c3 take a port of c1";

  ASSERT_TRUE(iso.cleanup(c1).ok());
  EXPECT_TRUE(iso.prepare(container("c2", {{9005, 9009}}), out).ok()) << "cleanup did not free c1's ports";
}

TEST(PortsIsolator, OverlapsAreAllowedWhenAllotmentsAreNotExclusive) {
  PortsIsolator iso({.exclusive_allotments = false});
  LaunchAdditions out;
  ASSERT_TRUE(iso.prepare(container("c1", {kAllotted}), out).ok());
  EXPECT_TRUE(iso.prepare(container("c2", {kAllotted}), out).ok());
}

TEST(PortsIsolator, CleanupIsIdempotentAndForgetsTheContainer) {
  PortsIsolator iso({.scan_interval = 0ms});
  auto c = container("c1", {kAllotted});
  ASSERT_NO_FATAL_FAILURE(start_watching(iso, c));
  EXPECT_TRUE(iso.cleanup(c).ok());
  EXPECT_TRUE(iso.cleanup(c).ok());
  EXPECT_TRUE(iso.cleanup(container("never-prepared", {})).ok());
  auto gone = iso.check(c);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().message(), "container \"c1\": not prepared by the ports isolator");
  LaunchAdditions out;
  EXPECT_TRUE(iso.prepare(c, out).ok());
}

TEST(PortsIsolator, IsolatingAProcessThatIsGoneNamesItsPid) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::waitpid(pid, nullptr, 0), pid);
  PortsIsolator iso;
  auto c = container("c1", {kAllotted});
  LaunchAdditions out;
  ASSERT_TRUE(iso.prepare(c, out).ok());
  auto s = iso.isolate(c, pid);
  ASSERT_FALSE(s.ok());
  const std::string p = std::to_string(pid);
  EXPECT_EQ(s.error().message(), "open the network namespace of container \"c1\" (pid " + p + "): open /proc/" + p +
                                     "/ns/net: No such file or directory");
}

TEST(PortsIsolator, RecoverKeepsAllotmentsAndWaitsForIsolateWithoutAProcess) {
  PortsIsolator iso({.scan_interval = 0ms});
  LaunchAdditions out;
  auto stale = container("stale", {{20000, 20000}});
  ASSERT_TRUE(iso.prepare(stale, out).ok());
  auto c = container("c1", {kAllotted});
  c.cgroup = "/berth/berth-unit-no-such-cgroup";
  ASSERT_TRUE(iso.recover({c}).ok());

  TestSocket s = open_socket(AF_INET, SOCK_STREAM, Role::kListen);
  EXPECT_FALSE(check_of(iso, c).has_value()) << "checked before a process was known";
  EXPECT_FALSE(iso.prepare(container("c2", {{9009, 9009}}), out).ok()) << "the recovered allotment was lost";
  EXPECT_FALSE(iso.check(stale).ok()) << "a container the engine no longer has was kept";

  c.cgroup.clear();  // no cgroup: the process tree of the init counts
  ASSERT_TRUE(iso.isolate(c, ::getpid()).ok());
  EXPECT_TRUE(check_of(iso, c).has_value());
}

}  // namespace
}  // namespace berth::isolators::ports
