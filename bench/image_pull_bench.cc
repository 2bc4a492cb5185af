// image_pull_bench: pull + unpack of the same images from the same local registry, until a
// ready-to-use root file system, by berth (pull_image into a fresh content store, then an
// overlay snapshot of every layer), by containerd (`ctr images pull`, which unpacks into its
// overlayfs snapshotter; a private containerd with a fresh root each round) and by skopeo +
// umoci (copy to an OCI layout, unpack a bundle), interleaved over rounds, next to the
// machine's bound for the same bytes (bench/image_pull_bound.h). Everything a round writes
// stays until the end: deleting many files just before creating many slows ext4 down.
// Root only. Run through bench/image_pull.sh, which starts the registry and pushes the images.
//
// usage: image_pull_bench --registry HOST:PORT --image LABEL=REPO:TAG [--image ...]
//                         --work DIR [--rounds N] [--warmup N]
//        image_pull_bench generate LAYER DIR      (a layer tree of the multi-layer image)
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench/child_process.h"
#include "bench/image_pull_bound.h"
#include "bench/image_tree_gen.h"
#include "common/fd.h"
#include "common/file.h"
#include "images/pull/image_pull.h"
#include "images/snapshot/snapshotter.h"

namespace {

using namespace berth;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The running containerd's pid (its own process group): stopped on every way out, since
// std::exit and signals skip the destructors.
volatile pid_t g_containerd = -1;

void stop_containerd_now() {
  const pid_t pid = g_containerd;
  if (pid <= 0) return;
  ::kill(-pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  g_containerd = -1;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "image_pull_bench: %s\n", what.c_str());
  stop_containerd_now();
  std::exit(1);
}

void on_signal(int sig) {
  stop_containerd_now();  // kill and waitpid are async-signal-safe
  ::_exit(128 + sig);
}

template <class T>
T must(Result<T> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().message());
  return std::move(*r);
}
void must(const Status& s, const std::string& what) {
  if (!s) die(what + ": " + s.error().message());
}

struct Image {
  std::string label, repo_tag;  // "big", "berth/big:latest"
};

enum Method { kBerth, kBerthSyncfs, kContainerd, kSkopeoUmoci, kMethods };
constexpr std::array<const char*, kMethods> kMethodNames = {"berth", "berth+syncfs", "containerd", "skopeo+umoci"};

struct Options {
  std::string registry, work;
  std::vector<Image> images;
  int rounds = 5;
  int warmup = 1;
  bool bound = true;
  std::vector<bool> methods = std::vector<bool>(kMethods, true);  // by Method
};

// One image's samples over the measured rounds.
struct Samples {
  std::array<std::vector<double>, kMethods> total_ms, cpu_ms;
  std::vector<double> berth_pull_ms, berth_prepare_ms;
  std::vector<bench::BoundSample> bound;
};

// ---- berth -------------------------------------------------------------------------------

struct BerthRun {
  double pull_ms = 0, prepare_ms = 0;
  std::vector<std::string> layer_digests, layer_paths;
};

// As an engine pulls to run: each layer is unpacked into its snapshot layer as soon as it
// is downloaded (on the download threads), then the container's snapshot is prepared.
BerthRun run_berth(const Options& o, const Image& image, const std::string& dir, images::LayerSync sync) {
  BerthRun run;
  const auto t0 = Clock::now();
  auto store = must(images::ContentStore::open(path_join(dir, "store")), "berth: open the store");
  images::UnpackPolicy policy;
  policy.devices = images::DeviceNodes::kCreate;
  auto snapshots =
      must(images::Snapshotter::open(path_join(dir, "snapshots"), images::SnapshotBackend::kOverlay, policy, sync),
           "berth: open the snapshotter");
  registry::RegistryClient client{registry::RegistryOptions{}};
  images::PullOptions pull;
  pull.layer_ready = [&snapshots](const images::LayerRecord& l, const images::OpenBlobFn& open) -> Status {
    auto fs = snapshots.ensure_layer({l.chain_id.str(), l.diff_id.str(), open, l.media_type});
    if (!fs) return fs.error();
    return ok();
  };
  auto record = must(images::pull_image(store, client, o.registry + "/" + image.repo_tag, pull), "berth: pull");
  run.pull_ms = ms_since(t0);
  const auto t1 = Clock::now();
  std::vector<images::LayerSource> layers;
  for (const auto& l : record.layers) {
    layers.push_back(
        {l.chain_id.str(), l.diff_id.str(), [&store, d = l.digest] { return store.open_blob(d); }, l.media_type});
    run.layer_digests.push_back(l.digest.str());
    run.layer_paths.push_back(store.blob_path(l.digest));
  }
  must(snapshots.prepare("bench", layers), "berth: prepare the snapshot");
  run.prepare_ms = ms_since(t1);
  return run;
}

// ---- containerd --------------------------------------------------------------------------

// A private containerd: its own root, state, socket and config, only what a pull needs.
class PrivateContainerd {
 public:
  explicit PrivateContainerd(const std::string& dir) : dir_(dir), socket_(path_join(dir, "containerd.sock")) {
    must(mkdir_p(dir, 0700), "containerd: mkdir " + dir);
    const std::string config =
        "version = 2\n"
        "root = \"" +
        path_join(dir, "root") +
        "\"\n"
        "state = \"" +
        path_join(dir, "state") +
        "\"\n"
        "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.snapshotter.v1.btrfs\",\n"
        "  \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\",\n"
        "  \"io.containerd.snapshotter.v1.aufs\", \"io.containerd.internal.v1.tracing\"]\n"
        "[grpc]\n  address = \"" +
        socket_ +
        "\"\n"
        "[ttrpc]\n  address = \"" +
        socket_ +
        ".ttrpc\"\n"
        "[debug]\n  address = \"\"\n"
        "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" +
        path_join(dir, "opt") + "\"\n";
    must(write_file(path_join(dir, "config.toml"), config), "containerd: write its config");
    daemon_.emplace(must(bench::Daemon::start({"containerd", "--config", path_join(dir, "config.toml")},
                                              path_join(dir, "containerd.log")),
                         "start containerd"));
    g_containerd = daemon_->pid();
    wait_for_socket();
  }

  [[nodiscard]] const std::string& socket() const { return socket_; }
  [[nodiscard]] pid_t pid() const { return daemon_->pid(); }
  void stop() {
    g_containerd = -1;
    daemon_.reset();
  }
  ~PrivateContainerd() { stop(); }
  PrivateContainerd(const PrivateContainerd&) = delete;
  PrivateContainerd& operator=(const PrivateContainerd&) = delete;

 private:
  void wait_for_socket() {
    for (int i = 0; i < 1000; ++i) {
      UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_.c_str());
      if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return;
      if (!daemon_->running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    die("containerd did not answer on " + socket_ + "; see " + path_join(dir_, "containerd.log"));
  }

  std::string dir_, socket_;
  std::optional<bench::Daemon> daemon_;
};

double run_containerd(const Options& o, const Image& image, const PrivateContainerd& containerd,
                      const std::string& log) {
  const auto t0 = Clock::now();
  must(bench::run_command({"ctr", "-a", containerd.socket(), "-n", "berthbench", "images", "pull", "--plain-http",
                           o.registry + "/" + image.repo_tag},
                          log),
       "containerd pull");
  return ms_since(t0);
}

// ---- skopeo + umoci ----------------------------------------------------------------------

double run_skopeo_umoci(const Options& o, const Image& image, const std::string& dir, const std::string& log) {
  const std::string layout = path_join(dir, "layout") + ":bench";
  must(mkdir_p(dir, 0755), "mkdir " + dir);
  const auto t0 = Clock::now();
  must(bench::run_command({"skopeo", "copy", "--quiet", "--src-tls-verify=false",
                           "docker://" + o.registry + "/" + image.repo_tag, "oci:" + layout},
                          log),
       "skopeo copy");
  must(bench::run_command({"umoci", "unpack", "--image", layout, path_join(dir, "bundle")}, log), "umoci unpack");
  return ms_since(t0);
}

// ---- rounds ------------------------------------------------------------------------------

// Round r's order of the methods: the permutations in turn, so none always follows the same one.
std::array<Method, kMethods> order_of(int r) {
  std::array<Method, kMethods> m = {kBerth, kBerthSyncfs, kContainerd, kSkopeoUmoci};
  for (int i = 0; i < r % 24; ++i) std::next_permutation(m.begin(), m.end());
  return m;
}

void run_round(const Options& o, int round, std::map<std::string, Samples>& samples) {
  const std::string dir = path_join(o.work, "round" + std::to_string(round));
  const std::string log = path_join(o.work, "commands.log");
  std::optional<PrivateContainerd> containerd;
  if (o.methods[kContainerd]) containerd.emplace(path_join(dir, "containerd"));
  for (size_t i = 0; i < o.images.size(); ++i) {
    const Image& image = o.images[i];
    const std::string idir = path_join(dir, image.label);
    std::array<double, kMethods> ms{}, cpu{};
    BerthRun berth;
    for (Method m : order_of(round + static_cast<int>(i))) {
      if (!o.methods[m]) continue;
      // Untimed: every sample starts with nothing dirty, so no tool's fsync or syncfs
      // writes back what the previous sample left in the page cache.
      ::sync();
      // berth runs in this process; the peers in children, and containerd's daemon unpacks.
      const double cpu0 = bench::self_cpu_ms() + bench::children_cpu_ms() +
                          (m == kContainerd ? bench::process_cpu_ms(containerd->pid()) : 0);
      switch (m) {
        case kBerth:
          berth = run_berth(o, image, path_join(idir, "berth"), images::LayerSync::kNone);
          ms[m] = berth.pull_ms + berth.prepare_ms;
          break;
        case kBerthSyncfs: {
          const BerthRun synced = run_berth(o, image, path_join(idir, "berth-syncfs"), images::LayerSync::kSyncfs);
          ms[m] = synced.pull_ms + synced.prepare_ms;
          break;
        }
        case kContainerd: ms[m] = run_containerd(o, image, *containerd, log); break;
        case kSkopeoUmoci: ms[m] = run_skopeo_umoci(o, image, path_join(idir, "skopeo-umoci"), log); break;
        default: break;
      }
      cpu[m] = bench::self_cpu_ms() + bench::children_cpu_ms() +
               (m == kContainerd ? bench::process_cpu_ms(containerd->pid()) : 0) - cpu0;
    }
    bench::BoundInput bound_in{o.registry,
                               image.repo_tag.substr(0, image.repo_tag.rfind(':')),
                               berth.layer_digests,
                               berth.layer_paths,
                               path_join(idir, "bound"),
                               log};
    bench::BoundSample bound;
    if (o.bound && o.methods[kBerth]) bound = must(bench::measure_bound(bound_in), "the bound for " + image.label);
    std::printf(
        "  round %2d %-6s berth %8.1f (pull %.1f + prepare %.1f)  berth+syncfs %8.1f  containerd %8.1f  "
        "skopeo+umoci %8.1f  bound %.1f (fetch %.1f + inflate %.1f + write %.1f)%s\n",
        round, image.label.c_str(), ms[kBerth], berth.pull_ms, berth.prepare_ms, ms[kBerthSyncfs], ms[kContainerd],
        ms[kSkopeoUmoci], bound.serial_ms(), bound.fetch_ms, bound.inflate_ms, bound.write_ms,
        round < 0 ? "  (warm-up)" : "");
    std::fflush(stdout);
    if (round < 0) continue;
    Samples& s = samples[image.label];
    for (int m = 0; m < kMethods; ++m) {
      s.total_ms[m].push_back(ms[m]);
      s.cpu_ms[m].push_back(cpu[m]);
    }
    s.berth_pull_ms.push_back(berth.pull_ms);
    s.berth_prepare_ms.push_back(berth.prepare_ms);
    if (bound.layers > 0) s.bound.push_back(bound);
  }
}

// "1.23x", or "n/a" when either side was not measured.
std::string ratio(double a, double b) {
  if (a <= 0 || b <= 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", a / b);
  return buf;
}

void report_bound(const Samples& s) {
  std::vector<double> fetch, inflate, write, serial, widest;
  for (const auto& b : s.bound) {
    fetch.push_back(b.fetch_ms);
    inflate.push_back(b.inflate_ms);
    write.push_back(b.write_ms);
    serial.push_back(b.serial_ms());
    widest.push_back(std::max({b.fetch_ms, b.inflate_ms, b.write_ms}));
  }
  std::printf("  bound          %9.1f ms = fetch %.1f + inflate %.1f + write %.1f (medians; stages in series)\n",
              median(serial), median(fetch), median(inflate), median(write));
  std::printf("                 %9.1f ms if the stages overlapped perfectly (the slowest stage)\n", median(widest));
}

// Prints one image's medians and ratios; true when both targets are met.
bool report_image(const Image& image, const Samples& s) {
  const bench::BoundSample b0 = s.bound.empty() ? bench::BoundSample{} : s.bound.front();
  std::printf("\n== %s (%s): %llu layers, %.1f MB compressed, %.1f MB uncompressed, %llu entries\n",
              image.label.c_str(), image.repo_tag.c_str(), static_cast<unsigned long long>(b0.layers),
              static_cast<double>(b0.compressed_bytes) / 1e6, static_cast<double>(b0.uncompressed_bytes) / 1e6,
              static_cast<unsigned long long>(b0.entries));
  for (int m = 0; m < kMethods; ++m) {
    std::printf("  %-14s median %9.1f ms   CPU %9.1f ms\n", kMethodNames[m], median(s.total_ms[m]),
                median(s.cpu_ms[m]));
  }
  std::printf("  berth steps    pull with layer unpack %.1f ms, snapshot prepare %.1f ms (medians)\n",
              median(s.berth_pull_ms), median(s.berth_prepare_ms));
  std::vector<double> serial;
  for (const auto& b : s.bound) serial.push_back(b.serial_ms());
  if (!serial.empty()) report_bound(s);
  const double berth = median(s.total_ms[kBerth]);
  const double containerd = median(s.total_ms[kContainerd]);
  const double bound = median(serial);
  std::printf("  containerd/berth %s   skopeo+umoci/berth %s   berth/bound %s   containerd/(berth+syncfs) %s\n",
              ratio(containerd, berth).c_str(), ratio(median(s.total_ms[kSkopeoUmoci]), berth).c_str(),
              ratio(berth, bound).c_str(), ratio(containerd, median(s.total_ms[kBerthSyncfs])).c_str());
  std::printf("  CPU time: containerd/berth %s   skopeo+umoci/berth %s\n",
              ratio(median(s.cpu_ms[kContainerd]), median(s.cpu_ms[kBerth])).c_str(),
              ratio(median(s.cpu_ms[kSkopeoUmoci]), median(s.cpu_ms[kBerth])).c_str());
  const bool fast = berth > 0 && containerd >= 1.5 * berth;
  const bool near = berth > 0 && bound > 0 && berth <= 1.5 * bound;
  std::printf("  target: containerd/berth >= 1.5x %s; berth/bound <= 1.5x %s\n", fast ? "PASS" : "MISS",
              near ? "PASS" : "MISS");
  return fast && near;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--registry") {
      o.registry = value();
    } else if (a == "--work") {
      o.work = value();
    } else if (a == "--rounds") {
      o.rounds = std::atoi(value().c_str());
    } else if (a == "--warmup") {
      o.warmup = std::atoi(value().c_str());
    } else if (a == "--methods") {
      const std::string v = "," + value() + ",";
      for (int m = 0; m < kMethods; ++m)
        o.methods[m] = v.find("," + std::string(kMethodNames[m]) + ",") != std::string::npos;
    } else if (a == "--no-bound") {
      o.bound = false;
    } else if (a == "--image") {
      const std::string v = value();
      const size_t eq = v.find('=');
      if (eq == std::string::npos || v.find(':', eq) == std::string::npos) die("--image wants LABEL=REPO:TAG");
      o.images.push_back({v.substr(0, eq), v.substr(eq + 1)});
    } else {
      die("unknown argument " + a);
    }
  }
  if (o.registry.empty() || o.work.empty() || o.images.empty() || o.rounds < 1) {
    die("usage: image_pull_bench --registry HOST:PORT --image LABEL=REPO:TAG ... --work DIR [--rounds N] [--warmup N] "
        "[--methods berth,berth+syncfs,containerd,skopeo+umoci] [--no-bound]");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "generate") {
    auto stats = must(bench::generate_layer_tree(argv[3], std::atoi(argv[2])), "generate");
    std::printf("%llu files, %llu bytes\n", static_cast<unsigned long long>(stats.files),
                static_cast<unsigned long long>(stats.bytes));
    return 0;
  }
  const Options o = parse(argc, argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::printf("image_pull_bench: registry %s, %d rounds (+%d warm-up), work dir %s\n", o.registry.c_str(), o.rounds,
              o.warmup, o.work.c_str());
  std::map<std::string, Samples> samples;
  for (int r = -o.warmup; r < o.rounds; ++r) run_round(o, r, samples);
  bool pass = true;
  for (const auto& image : o.images) pass = report_image(image, samples[image.label]) && pass;
  std::printf("\n%s\n", pass ? "PASS" : "MISS");
  return 0;
}
