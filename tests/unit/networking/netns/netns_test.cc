// Network namespace handles and sysctl keys without root: what a bad pin, a bad name or a
// key outside net.* tells the user, and that work run "inside" a namespace leaves the
// calling thread where it was. Creating namespaces is in tests/integration/networking_*.
#include "networking/netns/netns.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "networking/netns/netns_store.h"
#include "networking/netns/sysctl.h"

namespace berth::networking {
namespace {

TEST(Netns, OpeningAFileThatIsNoNamespaceSaysSo) {
  auto ns = Netns::open("/dev/null", "berth-x");
  ASSERT_FALSE(ns.ok());
  EXPECT_EQ(ns.error().message(), "open netns berth-x: /dev/null is not a namespace (is the pin mounted?)");
}

TEST(Netns, OpeningAMissingPinNamesIt) {
  auto ns = Netns::open("/nonexistent/berth-x");
  ASSERT_FALSE(ns.ok());
  EXPECT_EQ(ns.error().code(), ENOENT);
  EXPECT_EQ(ns.error().message(), "open netns berth-x: open /nonexistent/berth-x: No such file or directory");
}

TEST(Netns, AnotherKindOfNamespaceIsRefused) {
  auto ns = Netns::open("/proc/self/ns/uts", "uts");
  ASSERT_FALSE(ns.ok());
  EXPECT_EQ(ns.error().message(), "open netns uts: /proc/self/ns/uts is not a network namespace");
}

TEST(Netns, OwnNamespaceHasTheIdOfThisThreads) {
  auto ns = Netns::current();
  ASSERT_TRUE(ns.ok()) << ns.error().message();
  auto id = ns->id();
  auto own = own_netns_id();
  ASSERT_TRUE(id.ok() && own.ok());
  EXPECT_EQ(*id, *own);
  auto of_pid = Netns::of_pid(::getpid());
  ASSERT_TRUE(of_pid.ok()) << of_pid.error().message();
  EXPECT_EQ(of_pid->name(), "of pid " + std::to_string(::getpid()));
}

TEST(Netns, RunningInTheOwnNamespaceReturnsWhatTheWorkReturned) {
  auto ns = Netns::current();
  ASSERT_TRUE(ns.ok()) << ns.error().message();
  auto answer = in_netns(*ns, []() -> Result<int> { return 42; });
  ASSERT_TRUE(answer.ok()) << answer.error().message();
  EXPECT_EQ(*answer, 42);
  auto failed = in_netns(*ns, []() -> Status { return Error(EPERM, "inner"); });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message(), "inner");
}

TEST(Netns, EnteringSomethingThatIsNoNamespaceNamesSetnsAndTheNamespace) {
  UniqueFd not_a_namespace(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(not_a_namespace);
  bool ran = false;
  Status s = run_in_netns(not_a_namespace.get(), "berth-x", [&] { ran = true; });
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(ran);
  EXPECT_EQ(s.error().message(), "enter netns berth-x: setns(CLONE_NEWNET): Invalid argument");
}

TEST(Netns, AnExceptionInTheWorkComesBackAsAnError) {
  auto ns = Netns::current();
  ASSERT_TRUE(ns.ok()) << ns.error().message();
  Status s = run_in_netns(*ns, [] { throw std::runtime_error("boom"); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "enter netns of this thread: boom");
}

TEST(NetnsName, BadNamesAreRefusedWithTheReason) {
  EXPECT_EQ(check_netns_name("").error().message(), "empty netns name");
  EXPECT_EQ(check_netns_name("../etc").error().message(), "netns name \"../etc\": starts with '.'");
  EXPECT_EQ(check_netns_name("a/b").error().message(),
            "netns name \"a/b\": only letters, digits, '.', '_' and '-' are allowed");
  EXPECT_EQ(check_netns_name(std::string(65, 'a')).error().message(),
            "netns name \"" + std::string(65, 'a') + "\": longer than 64 characters");
  EXPECT_TRUE(check_netns_name("berth-t1.x_2").ok());
}

TEST(NetnsStore, BadNameIsRefusedBeforeTouchingTheDisk) {
  NetnsStore store("/nonexistent-berth-state");
  auto created = store.create("a/b");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().message(),
            "create netns a/b: netns name \"a/b\": only letters, digits, '.', '_' and '-' are allowed");
  EXPECT_EQ(store.path("berth-t1"), "/nonexistent-berth-state/netns/berth-t1");
  auto listed = store.list();
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  EXPECT_TRUE(listed->empty());
  EXPECT_TRUE(store.remove("berth-t1").ok()) << "removing what is not there is not an error";
}

TEST(Sysctl, DottedAndSlashedKeysMapToProcSys) {
  EXPECT_EQ(*sysctl_path("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(*sysctl_path("net/ipv4/conf/eth0.100/forwarding"), "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
}

TEST(Sysctl, KeysOutsideNetAreRefused) {
  auto p = sysctl_path("kernel.hostname");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(),
            "sysctl \"kernel.hostname\": not a network sysctl (net.*): only those belong to a network namespace");
  EXPECT_FALSE(sysctl_path("net").ok());
  EXPECT_EQ(sysctl_path("net/../kernel/hostname").error().message(),
            "sysctl \"net/../kernel/hostname\": malformed key");
  EXPECT_EQ(sysctl_path("net..ipv4").error().message(), "sysctl \"net..ipv4\": malformed key");
}

TEST(Sysctl, ReadingInTheOwnNamespaceMatchesProcSys) {
  auto ns = Netns::current();
  ASSERT_TRUE(ns.ok()) << ns.error().message();
  auto value = read_sysctl(*ns, "net.ipv4.ip_forward");
  ASSERT_TRUE(value.ok()) << value.error().message();
  EXPECT_TRUE(*value == "0" || *value == "1") << *value;
  auto missing = read_sysctl(*ns, "net.ipv4.no_such_key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "read sysctl net.ipv4.no_such_key in netns of this thread: open /proc/sys/net/ipv4/no_such_key: No such "
            "file or directory");
}

}  // namespace
}  // namespace berth::networking
