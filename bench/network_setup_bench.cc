// network_setup_bench: one container's network set up and torn down by berth's bridge mode
// and by the CNI chain bridge + host-local + portmap (Debian's containernetworking-plugins),
// interleaved, on the same machine, in one run; then 250 containers attached to one bridge
// to see whether the next setup slows down. Everything happens in a private network
// namespace standing for the host (bridges, iptables/nftables rules and sysctls are its own)
// and in container namespaces pinned under a temp dir, all removed at the end. Root only.
//
// usage: network_setup_bench [--rounds N] [--scale N] [--repeat N] [--cni-bin DIR]
//        --rounds 0: the scaling part only; --repeat: how many scaling runs (default 5)
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
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
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
  int repeat = 5;
  std::string cni_bin = "/usr/lib/cni";
  bool publish = std::getenv("BENCH_NO_PORTS") == nullptr;       // a published port per container
  bool dual_stack = std::getenv("BENCH_DUAL_STACK") != nullptr;  // the scaling bridge has subnet6
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

// Idle and total jiffies of all CPUs, from the first line of /proc/stat.
std::pair<double, double> cpu_jiffies() {
  std::FILE* f = std::fopen("/proc/stat", "re");
  if (f == nullptr) return {0, 0};
  std::array<double, 8> v{};
  const int n =
      std::fscanf(f, "cpu %lf %lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (n != 8) return {0, 0};
  double total = 0;
  for (double x : v) total += x;
  return {v[3] + v[4], total};  // idle + iowait
}

// Waits (at most a minute) until the CPUs have been at least 95% idle for half a second: the
// kernel tears down veths and namespaces of earlier runs in the background, and that work
// holds the RTNL lock every setup needs, so a run started during it measures it instead.
void wait_until_idle() {
  const auto start = Clock::now();
  for (;;) {
    const auto [idle0, total0] = cpu_jiffies();
    ::usleep(500 * 1000);
    const auto [idle1, total1] = cpu_jiffies();
    const bool idle = total1 > total0 && (idle1 - idle0) / (total1 - total0) >= 0.95;
    if (idle || total1 <= total0 || Clock::now() - start > std::chrono::minutes(1)) break;
  }
  std::printf("  (waited %.1f s for the machine to be idle)\n", ms_since(start) / 1000);
}

// One run's setup times of the containers, in the order they joined.
struct ScaleRun {
  std::vector<double> ms, cpu_ms;
};

double median_of(const std::vector<double>& v, size_t from, size_t to) {
  return median({v.begin() + static_cast<long>(from), v.begin() + static_cast<long>(to)});
}

// Attaches o.scale containers to `bridge` one by one, timing each setup, then detaches them
// and removes their namespaces.
ScaleRun scale_once(const Options& o, networking::BridgeNetwork& bridge, networking::NetnsStore& pins) {
  std::vector<networking::Netns> spaces;
  ScaleRun run;
  wait_until_idle();
  for (int i = 0; i < o.scale; ++i) {
    const std::string name = "berth-bench-s" + std::to_string(i);
    spaces.push_back(must(pins.create(name), "pin a container namespace"));
    std::vector<nft::PortMapping> ports;
    if (o.publish) ports.push_back(port(static_cast<uint16_t>(30000 + i), 80));
    const auto t0 = Clock::now();
    const double cpu0 = thread_cpu_ms();
    must(bridge.attach({name, &spaces.back(), "eth0", {}, ports}), "attach");
    run.ms.push_back(ms_since(t0));
    run.cpu_ms.push_back(thread_cpu_ms() - cpu0);
  }
  for (int i = 0; i < o.scale; ++i) {
    const std::string name = "berth-bench-s" + std::to_string(i);
    must(bridge.detach(name), "detach");
    must(pins.remove(name), "unpin a container namespace");
  }
  return run;
}

// The first and last k setups of each run: each run's ratio, and the target judged on their
// median (the machine's state drifts between and within runs; one run is one sample).
void scale(const Options& o, const std::string& dir, networking::NetnsStore& pins) {
  networking::BridgeNetwork bridge =
      must(networking::BridgeNetwork::open({.bridge = "berthbs",
                                            .subnet = "10.254.0.0/16",
                                            .subnet6 = o.dual_stack ? "fd00:be7:254::/64" : "",
                                            .state_dir = dir + "/scale",
                                            .nft_table = "berth-bench-s"}),
           "open the scaling bridge");
  std::printf("== %d containers on one %s bridge, %s; %d runs\n", o.scale, o.dual_stack ? "dual-stack" : "IPv4",
              o.publish ? "each with a published port" : "no published ports", o.repeat);
  std::vector<double> ratios;
  for (int r = 0; r < o.repeat; ++r) {
    const ScaleRun run = scale_once(o, bridge, pins);
    const size_t n = run.ms.size(), k = std::min<size_t>(20, n / 2);
    const double first = median_of(run.ms, 0, k), last = median_of(run.ms, n - k, n);
    ratios.push_back(last / first);
    std::printf("  run %d: setup median of the first %zu: %.2f ms, of the last %zu: %.2f ms: %+.0f%%;", r + 1, k, first,
                k, last, 100 * (last / first - 1));
    const double cpu_first = median_of(run.cpu_ms, 0, k), cpu_last = median_of(run.cpu_ms, n - k, n);
    std::printf(" CPU time (this thread) %.2f -> %.2f ms: %+.0f%%\n", cpu_first, cpu_last,
                100 * (cpu_last / cpu_first - 1));
    std::printf("         by 25 containers (ms):");
    for (size_t b = 0; b + 25 <= n; b += 25) std::printf(" %.2f", median_of(run.ms, b, b + 25));
    std::printf("\n");
  }
  const double m = median(ratios);
  std::printf("  median over the runs: last / first %+.0f%% (target <= +20%%) %s\n", 100 * (m - 1),
              m <= 1.2 ? "PASS" : "MISS");
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
    else if (a == "--repeat")
      o.repeat = std::max(1, std::atoi(argv[i + 1]));
    else if (a == "--cni-bin")
      o.cni_bin = argv[i + 1];
    else
      die("usage: network_setup_bench [--rounds N] [--scale N] [--repeat N] [--cni-bin DIR]");
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
