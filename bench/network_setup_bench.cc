// network_setup_bench: one container's network set up and torn down by berth's bridge mode
// and by the CNI chain bridge + host-local + portmap (Debian's containernetworking-plugins),
// interleaved, on the same machine, in one run; then 250 containers attached to one bridge
// to see whether the next setup slows down. Everything happens in a private network
// namespace standing for the host (bridges, iptables/nftables rules and sysctls are its own)
// and in container namespaces pinned under a temp dir, all removed at the end. Root only.
//
// usage: network_setup_bench [--rounds N] [--scale N] [--cni-bin DIR]   (--rounds 0: scaling only)
// env:   BENCH_NO_PORTS=1  the scaling run publishes no ports (to tell nftables' share of a
//                          slowdown from the links' and IPAM's)
//        BENCH_DUAL_STACK=1  the scaling bridge carries an IPv6 subnet too (each container then
//                          has an IPv6 link-local address, whose kernel traffic the bridge floods)
//        BENCH_DIR=/tmp    where the state (IPAM, attachment records, CNI cache and host-local
//                          data, netns pins) lives; default /dev/shm, a tmpfs like the /run
//                          berth keeps it in on production hosts. On a disk, every inode
//                          created may wait for the disk (on this journal-less ext4, 3-6x
//                          longer for minutes after many deletions).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/file.h"
#include "networking/bridge/bridge_network.h"
#include "networking/cni/cni_runner.h"
#include "networking/netlink/links.h"
#include "networking/netlink/rtnl_socket.h"
#include "networking/netns/netns.h"
#include "networking/netns/netns_store.h"

namespace {

using namespace berth;
using Clock = std::chrono::steady_clock;

struct Options {
  int rounds = 30;
  int scale = 250;
  std::string cni_bin = "/usr/lib/cni";
};

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// CPU time of the calling thread (user and kernel, the netlink work included: the kernel does
// it in the sending thread) in ms. Unlike wall time it does not count waiting for the RTNL
// lock or for a CPU, which on a machine shared with busy neighbours swamps a 1 ms setup.
double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void die(const std::string& what) {
  std::fprintf(stderr, "network_setup_bench: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().message());
  return std::move(*r);
}
void must(const Status& s, const char* what) {
  if (!s) die(std::string(what) + ": " + s.error().message());
}

nft::PortMapping port(uint16_t host, uint16_t container) {
  nft::PortMapping m;
  m.host_port = host;
  m.container_port = container;
  return m;
}

std::string cni_list(const std::string& dir) {
  return R"({"cniVersion": "1.0.0", "name": "berth-bench", "plugins": [
    {"type": "bridge", "bridge": "berthcnib", "isGateway": true, "ipMasq": true,
     "ipam": {"type": "host-local", "dataDir": ")" +
         dir + R"(/cni-ipam", "ranges": [[{"subnet": "10.252.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true}]})";
}

void compare(const Options& o, const std::string& dir, networking::NetnsStore& pins) {
  networking::BridgeNetwork bridge = must(
      networking::BridgeNetwork::open(
          {.bridge = "berthbb", .subnet = "10.253.0.0/16", .state_dir = dir + "/berth", .nft_table = "berth-bench"}),
      "open berth's bridge network");
  auto list = must(cni::parse_network_config(cni_list(dir), dir + "/bench.conflist"), "CNI configuration");
  const cni::CniRunner runner({{o.cni_bin}, dir + "/cni-cache", std::chrono::seconds(30)});
  auto ns = must(pins.create("berth-bench-c"), "pin a container namespace");
  std::vector<double> berth_ms, cni_ms;
  for (int r = -3; r < o.rounds; ++r) {  // three warm-up rounds
    const std::string id = "berth-bench-" + std::to_string(r + 3);
    auto t0 = Clock::now();
    must(bridge.attach({id, &ns, "eth0", {}, {port(28080, 80)}}), "berth attach");
    must(bridge.detach(id), "berth detach");
    const double b = ms_since(t0);
    t0 = Clock::now();
    const cni::Attachment a{id, pins.path("berth-bench-c"), "eth0", {{28081, 80, "tcp", ""}}, {}};
    must(runner.add(list, a), "CNI ADD");
    must(runner.del(list, a), "CNI DEL");
    const double c = ms_since(t0);
    if (r >= 0) {
      berth_ms.push_back(b);
      cni_ms.push_back(c);
    }
  }
  const double mb = median(berth_ms), mc = median(cni_ms);
  std::printf("== setup + teardown of one container's network (bridge, address, route, one published port)\n");
  std::printf("  berth bridge mode         median %8.2f ms\n", mb);
  std::printf("  CNI bridge+host-local+portmap median %8.2f ms\n", mc);
  std::printf("  CNI / berth: %.1fx (target >= 5x) %s\n", mc / mb, mc / mb >= 5 ? "PASS" : "MISS");
}

void scale(const Options& o, const std::string& dir, networking::NetnsStore& pins) {
  networking::BridgeNetwork bridge = must(
      networking::BridgeNetwork::open({.bridge = "berthbs",
                                       .subnet = "10.254.0.0/16",
                                       .subnet6 = std::getenv("BENCH_DUAL_STACK") != nullptr ? "fd00:be7:254::/64" : "",
                                       .state_dir = dir + "/scale",
                                       .nft_table = "berth-bench-s"}),
      "open the scaling bridge");
  std::vector<networking::Netns> spaces;
  std::vector<double> setup_ms, setup_cpu_ms;
  for (int i = 0; i < o.scale; ++i) {
    const std::string name = "berth-bench-s" + std::to_string(i);
    spaces.push_back(must(pins.create(name), "pin a container namespace"));
    const auto t0 = Clock::now();
    const double cpu0 = thread_cpu_ms();
    std::vector<nft::PortMapping> ports;
    if (std::getenv("BENCH_NO_PORTS") == nullptr) ports.push_back(port(static_cast<uint16_t>(30000 + i), 80));
    must(bridge.attach({name, &spaces.back(), "eth0", {}, ports}), "attach");
    setup_ms.push_back(ms_since(t0));
    setup_cpu_ms.push_back(thread_cpu_ms() - cpu0);
  }
  const size_t k = std::min<size_t>(20, setup_ms.size() / 2);
  const double first = median({setup_ms.begin(), setup_ms.begin() + static_cast<long>(k)});
  const double last = median({setup_ms.end() - static_cast<long>(k), setup_ms.end()});
  std::printf("== %d containers on one %s bridge, %s\n", o.scale,
              std::getenv("BENCH_DUAL_STACK") != nullptr ? "dual-stack" : "IPv4",
              std::getenv("BENCH_NO_PORTS") == nullptr ? "each with a published port" : "no published ports");
  std::printf("  setup median of the first %zu: %.2f ms, of the last %zu: %.2f ms: %+.0f%% (target <= +20%%) %s\n", k,
              first, k, last, 100 * (last / first - 1), last <= first * 1.2 ? "PASS" : "MISS");
  const double cpu_first = median({setup_cpu_ms.begin(), setup_cpu_ms.begin() + static_cast<long>(k)});
  const double cpu_last = median({setup_cpu_ms.end() - static_cast<long>(k), setup_cpu_ms.end()});
  std::printf("  setup CPU time (this thread) median of the first %zu: %.2f ms, of the last %zu: %.2f ms: %+.0f%%\n", k,
              cpu_first, k, cpu_last, 100 * (cpu_last / cpu_first - 1));
  std::printf("  setup median by 25 containers (ms, CPU ms):");
  for (size_t b = 0; b + 25 <= setup_ms.size(); b += 25) {
    const auto from = static_cast<long>(b), to = static_cast<long>(b + 25);
    std::printf(" %.2f/%.2f", median({setup_ms.begin() + from, setup_ms.begin() + to}),
                median({setup_cpu_ms.begin() + from, setup_cpu_ms.begin() + to}));
  }
  std::printf("\n");
  for (int i = 0; i < o.scale; ++i) must(bridge.detach("berth-bench-s" + std::to_string(i)), "detach");
}

}  // namespace

// Only std::bad_alloc could escape: terminating is then right.
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rounds")
      o.rounds = std::atoi(argv[i + 1]);
    else if (a == "--scale")
      o.scale = std::atoi(argv[i + 1]);
    else if (a == "--cni-bin")
      o.cni_bin = argv[i + 1];
    else
      die("usage: network_setup_bench [--rounds N] [--scale N] [--cni-bin DIR]");
  }
  if (::geteuid() != 0) die("run as root (network namespaces, links, nftables)");
  const char* parent = std::getenv("BENCH_DIR");
  std::string dir = std::string(parent != nullptr ? parent : "/dev/shm") + "/berth-bench-net-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) die("mkdtemp");
  networking::NetnsStore pins(dir);
  auto ran = networking::run_in_new_netns([&] {
    auto nl = must(networking::RtnlSocket::open(), "netlink");
    must(networking::set_link_up(nl, "lo"), "lo up");
    if (o.rounds > 0) compare(o, dir, pins);
    scale(o, dir, pins);
  });
  if (auto names = pins.list()) {
    for (const auto& n : *names) (void)pins.remove(n);
  }
  (void)remove_tree(dir);
  if (!ran) die(ran.error().message());
  return 0;
}
