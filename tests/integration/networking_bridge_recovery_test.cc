// Crash recovery of bridge mode (root, real kernel, inside a private network namespace that
// stands for the host): a child process runs attach and is SIGKILLed at 15 points spread over
// the time attach takes (measured first); recover() in the parent then leaves no host veth,
// no interface in the container's namespace, no published port, no address allocation and no
// attachment record, and a fresh attach of the same container works. Production code has no
// hook for this: the kill lands wherever the child happens to be.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "common/file.h"
#include "common/strings.h"
#include "networking/bridge/bridge_network.h"
#include "networking/netlink/links.h"
#include "networking/netlink/rtnl_socket.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/networking.h"

namespace berth::integration {
namespace {

using networking::BridgeConfig;
using networking::BridgeNetwork;
using networking::ContainerAttachment;
using Clock = std::chrono::steady_clock;

constexpr int kKillPoints = 15;
constexpr int kCalibrationRuns = 3;
const std::string kId = "berth-it-crash";

// A child that opens the bridge network, says 'o', attaches, says 'a' and exits. Forked
// from the thread that is in the private host namespace, so the child is in it too. The
// parent's only other thread waits in join(), holding no lock the child could need.
class AttachChild {
 public:
  AttachChild(const BridgeConfig& config, const ContainerAttachment& a) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    read_end_ = UniqueFd(fds[0]);
    UniqueFd write_end(fds[1]);
    pid_ = ::fork();
    if (pid_ != 0) return;
    auto net = BridgeNetwork::open(config);
    if (!net || ::write(write_end.get(), "o", 1) != 1) ::_exit(2);
    auto attached = net->attach(a);
    if (!attached || ::write(write_end.get(), "a", 1) != 1) ::_exit(3);
    ::_exit(0);
  }
  ~AttachChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)reap();
    }
  }
  AttachChild(const AttachChild&) = delete;
  AttachChild& operator=(const AttachChild&) = delete;
  AttachChild(AttachChild&&) = delete;
  AttachChild& operator=(AttachChild&&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0; }
  // Whether the child said `expected` within 10 s.
  bool said(char expected) {
    pollfd p{read_end_.get(), POLLIN, 0};
    char got = 0;
    return ::poll(&p, 1, 10000) == 1 && ::read(read_end_.get(), &got, 1) == 1 && got == expected;
  }
  void kill_now() { ::kill(pid_, SIGKILL); }
  // The wait status.
  int reap() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  UniqueFd read_end_;
  pid_t pid_ = -1;
};

// What of a container's attachment exists now.
struct Leftovers {
  bool host_veth = false;
  bool container_link = false;
  size_t allocations = 0;
  size_t rules = 0;
  size_t record_files = 0;
  [[nodiscard]] bool none() const {
    return !host_veth && !container_link && allocations == 0 && rules == 0 && record_files == 0;
  }
  [[nodiscard]] std::string describe() const {
    return "host veth " + std::to_string(static_cast<int>(host_veth)) + ", container link " +
           std::to_string(static_cast<int>(container_link)) + ", allocations " + std::to_string(allocations) +
           ", rules " + std::to_string(rules) + ", record files " + std::to_string(record_files);
  }
};

Leftovers leftovers(const BridgeConfig& config, const networking::Netns& container) {
  Leftovers l;
  auto host = networking::RtnlSocket::open();
  l.host_veth = !host || networking::find_link(*host, BridgeNetwork::host_veth_name(kId)).ok();
  auto inside = networking::RtnlSocket::open_in(container);
  l.container_link = !inside || networking::find_link(*inside, "eth0").ok();
  for (const auto& subnet : {config.subnet, config.subnet6}) {
    auto pool = ipam::AddressPool::open(config.state_dir + "/ipam", *networking::Subnet::parse(subnet));
    auto allocations = pool ? pool->allocations() : Error(EIO, "no pool");
    l.allocations += allocations ? allocations->size() : 1;
  }
  auto table = nft::NatTable::open(config.nft_table);
  auto rules = table ? table->published() : Error(EIO, "no table");
  l.rules = rules ? rules->size() : 1;
  auto records = list_dir(config.state_dir + "/attachments");
  l.record_files = records ? records->size() : 1;
  return l;
}

nft::PortMapping published(nft::Protocol protocol, uint16_t port) {
  nft::PortMapping m;
  m.protocol = protocol;
  m.host_port = port;
  m.container_port = port;
  return m;
}

TEST(BridgeRecovery, AttachKilledAtAnyPointIsUndoneByRecoverAndCanBeRedone) {
  skip_unless_root();
  skip_unless_ipv6();
  NetnsStateDir state;
  ASSERT_TRUE(state.ok());
  auto container = state.store().create("berth-crash");
  ASSERT_TRUE(container);
  auto ran = networking::run_in_new_netns([&] {
    auto nl = networking::RtnlSocket::open();
    ASSERT_TRUE(nl && networking::set_link_up(*nl, "lo"));
    const BridgeConfig config{.bridge = berth_name("b"),
                              .subnet = "10.251.7.0/24",
                              .subnet6 = "fd00:be7:7::/64",
                              .state_dir = state.dir() + "/net",
                              .nft_table = berth_name("t")};
    auto net = BridgeNetwork::open(config);
    ASSERT_TRUE(net) << net.error().message();
    const ContainerAttachment attachment{
        kId, &*container, "eth0", {}, {published(nft::Protocol::kTcp, 18100), published(nft::Protocol::kUdp, 18101)}};

    // How long attach takes here: the longest of a few whole runs. Each finished attach of a
    // container nobody knows is undone by recover() as a whole.
    Clock::duration attach_time{};
    for (int i = 0; i < kCalibrationRuns; ++i) {
      AttachChild child(config, attachment);
      ASSERT_TRUE(child.started());
      ASSERT_TRUE(child.said('o')) << "the child could not open the network";
      const auto start = Clock::now();
      ASSERT_TRUE(child.said('a')) << "the child could not attach";
      attach_time = std::max(attach_time, Clock::now() - start);
      child.reap();
      ASSERT_FALSE(leftovers(config, *container).none());
      auto report = net->recover({});
      ASSERT_TRUE(report) << report.error().message();
      EXPECT_EQ(report->containers, std::vector<std::string>{kId});
      EXPECT_EQ(report->links, std::vector<std::string>{BridgeNetwork::host_veth_name(kId)});
      EXPECT_EQ(report->addresses.size(), 2U) << join(report->addresses, ", ");
      EXPECT_EQ(report->rules.size(), 4U) << "TCP and UDP, IPv4 and IPv6: " << join(report->rules, ", ");
      EXPECT_TRUE(leftovers(config, *container).none()) << leftovers(config, *container).describe();
    }
    const auto attach_us = std::chrono::duration_cast<std::chrono::microseconds>(attach_time).count();

    int kills_that_left_something = 0;
    for (int i = 0; i < kKillPoints; ++i) {
      const auto delay = attach_time * i / (kKillPoints - 1);
      const auto delay_us = std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
      {
        AttachChild child(config, attachment);
        ASSERT_TRUE(child.started());
        ASSERT_TRUE(child.said('o'));
        std::this_thread::sleep_until(Clock::now() + delay);
        child.kill_now();
        child.reap();
      }
      const Leftovers before = leftovers(config, *container);
      // Even kills: the container is unknown. Odd ones: it is known, so only an attach that
      // never finished is undone; a finished one stays whole, and detach then removes it.
      const bool known = i % 2 == 1;
      auto report = net->recover(known ? std::set<std::string>{kId} : std::set<std::string>{});
      ASSERT_TRUE(report) << "kill at " << delay_us << " us: " << report.error().message();
      if (!before.none()) ++kills_that_left_something;
      std::cout << "kill at " << delay_us << " of " << attach_us << " us (" << (known ? "known" : "unknown")
                << "): found " << before.describe() << "; recover removed " << report->links.size() << " links, "
                << report->addresses.size() << " allocations, " << report->rules.size() << " rules, "
                << report->records.size() << " records\n";
      if (known && report->empty()) {
        EXPECT_TRUE(before.host_veth && before.container_link && before.allocations == 2 && before.rules == 4 &&
                    before.record_files == 1)
            << "kept, so the attach must be whole: " << before.describe();
        ASSERT_TRUE(net->detach(kId));
      }
      const Leftovers after = leftovers(config, *container);
      EXPECT_TRUE(after.none()) << "kill at " << delay_us << " us: " << after.describe();

      auto again = net->attach(attachment);
      ASSERT_TRUE(again) << "attach after a kill at " << delay_us << " us: " << again.error().message();
      ASSERT_TRUE(net->detach(kId));
      ASSERT_TRUE(leftovers(config, *container).none());
    }
    EXPECT_GT(kills_that_left_something, 0) << "no kill landed inside attach: the test proved nothing";
  });
  ASSERT_TRUE(ran) << ran.error().message();
}

}  // namespace
}  // namespace berth::integration
