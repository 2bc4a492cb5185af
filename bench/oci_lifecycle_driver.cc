// oci_lifecycle_driver: times whole OCI container lifecycles for several runc-compatible
// runtimes on one bundle, interleaved, and prints medians, percentiles, peak RSS and ratios.
// bench/oci_lifecycle.sh sets up the bundle, the private mount namespace and the tmpfs
// state roots, then runs this; it can be run by hand too (see usage()).
//
// Scenarios (one lifecycle = one sample):
//   run    RT --root ROOT run -b BUNDLE ID                  (the runtime waits for the exit)
//   cycle  RT --root ROOT create -b BUNDLE --pid-file F ID; RT --root ROOT start ID;
//          wait for the container's init to exit (pidfd of the pid in F; this process is a
//          child subreaper, like a containerd shim, so it also reaps the init);
//          RT --root ROOT delete ID
//
// Wall time: CLOCK_MONOTONIC around the whole lifecycle (fork, exec, wait4 of every command
// included: the same for every runtime). Peak RSS: ru_maxrss from wait4() of each runtime
// command, the max over the commands of a lifecycle. Runtime commands are started with
// fork() (not vfork/posix_spawn: a CLONE_VM child's ru_maxrss starts at the parent's whole
// high-water mark), so a child's figure includes only the anonymous memory it inherits from
// this process (printed as the "floor", a few hundred KiB, far below any runtime's peak).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kSteps = 4;  // cycle: create, start, wait, delete
const char* const kStepNames[kSteps] = {"create", "start", "wait", "delete"};

struct Runtime {
  std::string name, path, root;
};

struct Sample {
  double ms = 0;                   // whole lifecycle
  double cpu_ms = 0;               // user+sys of every process reaped by us or by a command
  long rss_kib = 0;                // max ru_maxrss over the lifecycle's commands
  double step_ms[kSteps] = {};     // cycle only
  long step_rss_kib[kSteps] = {};  // cycle only (wait: 0)
};

struct Options {
  std::string bundle, state, prefix = "berth-bench-", raw, target_peer = "crun";
  int runs = 60, warmup = 3, timeout_ms = 30000, settle_ms = 0;
  double time_target = 0.8;
  bool do_run = true, do_cycle = true;
  std::vector<Runtime> runtimes;
};

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int pidfd_open(pid_t pid) { return int(syscall(SYS_pidfd_open, pid, 0)); }

[[noreturn]] void die(const char* fmt, const std::string& a = "", const std::string& b = "") {
  std::fprintf(stderr, "oci_lifecycle_driver: ");
  std::fprintf(stderr, fmt, a.c_str(), b.c_str());
  std::fprintf(stderr, "\n");
  std::exit(1);
}

int g_devnull = -1;
int g_errfd = -1;  // stderr of every runtime command, truncated before each one
std::string g_errpath;

// Reaps exited children that are not waited for by name: orphans reparented to us. Not while
// a container init is tracked (between create and its exit): that one is reaped by pid.
bool g_tracking_init = false;
void reap_orphans() {
  while (!g_tracking_init && waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

struct CmdResult {
  bool ok = false;
  std::string why;
  long rss_kib = 0;
  int64_t ns = 0;
  double cpu_ms = 0;
};

double cpu_ms_of(const rusage& ru) {
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

std::string err_tail() {
  std::string s;
  char buf[4096];
  ssize_t n = pread(g_errfd, buf, sizeof buf - 1, 0);
  if (n > 0) s.assign(buf, size_t(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

CmdResult run_cmd(const std::vector<std::string>& args, int timeout_ms) {
  CmdResult r;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (ftruncate(g_errfd, 0) != 0) die("ftruncate %s failed", g_errpath);
  int64_t t0 = now_ns();
  pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    dup2(g_devnull, 0);
    dup2(g_devnull, 1);
    dup2(g_errfd, 2);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int pfd = pidfd_open(pid);
  if (pfd >= 0) {
    pollfd p{pfd, POLLIN, 0};
    int n;
    while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    if (n == 0) {
      kill(pid, SIGKILL);
      r.why = "timed out after " + std::to_string(timeout_ms) + " ms";
    }
    close(pfd);
  }
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  r.ns = now_ns() - t0;
  r.rss_kib = ru.ru_maxrss;
  r.cpu_ms = cpu_ms_of(ru);
  if (r.why.empty()) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      r.ok = true;
    } else if (WIFEXITED(status)) {
      r.why = "exit status " + std::to_string(WEXITSTATUS(status));
    } else {
      r.why = std::string("killed by signal ") + strsignal(WTERMSIG(status));
    }
  }
  reap_orphans();
  return r;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

void force_delete(const Runtime& rt, const std::string& id) {
  run_cmd({rt.path, "--root", rt.root, "delete", "-f", id}, 10000);
}

// Runs one command of a lifecycle; on failure prints why, force-deletes, exits.
CmdResult must(const Runtime& rt, const std::string& id, const std::vector<std::string>& args, int timeout_ms) {
  CmdResult r = run_cmd(args, timeout_ms);
  if (!r.ok) {
    std::string tail = err_tail();
    std::fprintf(stderr, "oci_lifecycle_driver: `%s` failed: %s\n%s%s", join(args).c_str(), r.why.c_str(), tail.c_str(),
                 tail.empty() ? "" : "\n");
    force_delete(rt, id);
    std::exit(1);
  }
  return r;
}

Sample lifecycle_run(const Options& o, const Runtime& rt, const std::string& id) {
  Sample s;
  int64_t t0 = now_ns();
  CmdResult r = must(rt, id, {rt.path, "--root", rt.root, "run", "-b", o.bundle, id}, o.timeout_ms);
  s.ms = double(now_ns() - t0) / 1e6;
  s.rss_kib = r.rss_kib;
  s.cpu_ms = r.cpu_ms;
  return s;
}

pid_t read_pid_file(const std::string& path) {
  char buf[32] = {};
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? pid_t(std::atol(buf)) : -1;
}

Sample lifecycle_cycle(const Options& o, const Runtime& rt, const std::string& id) {
  Sample s;
  std::string pid_file = rt.root + ".pid";
  unlink(pid_file.c_str());
  int64_t t0 = now_ns();
  CmdResult c =
      must(rt, id, {rt.path, "--root", rt.root, "create", "-b", o.bundle, "--pid-file", pid_file, id}, o.timeout_ms);
  pid_t pid = read_pid_file(pid_file);
  int pfd = pid > 0 ? pidfd_open(pid) : -1;
  g_tracking_init = true;
  if (pfd < 0) {
    force_delete(rt, id);
    die("%s create: no live container pid in %s", rt.name, pid_file);
  }
  CmdResult st = must(rt, id, {rt.path, "--root", rt.root, "start", id}, o.timeout_ms);
  int64_t w0 = now_ns();
  pollfd p{pfd, POLLIN, 0};
  int n;
  while ((n = poll(&p, 1, o.timeout_ms)) < 0 && errno == EINTR) {
  }
  if (n == 0) {
    force_delete(rt, id);
    die("%s: container %s did not exit", rt.name, id);
  }
  // reaps the init if it was reparented to us (it is our zombie: no pid reuse); its CPU
  // time is the runtime's in-container setup plus /bin/true
  rusage init_ru{};
  double init_cpu = 0;
  if (wait4(pid, nullptr, 0, &init_ru) == pid) init_cpu = cpu_ms_of(init_ru);
  close(pfd);
  g_tracking_init = false;
  reap_orphans();
  int64_t w1 = now_ns();
  CmdResult d = must(rt, id, {rt.path, "--root", rt.root, "delete", id}, o.timeout_ms);
  s.ms = double(now_ns() - t0) / 1e6;
  s.step_ms[0] = double(c.ns) / 1e6;
  s.step_ms[1] = double(st.ns) / 1e6;
  s.step_ms[2] = double(w1 - w0) / 1e6;
  s.step_ms[3] = double(d.ns) / 1e6;
  s.step_rss_kib[0] = c.rss_kib;
  s.step_rss_kib[1] = st.rss_kib;
  s.step_rss_kib[3] = d.rss_kib;
  s.rss_kib = std::max({c.rss_kib, st.rss_kib, d.rss_kib});
  s.cpu_ms = c.cpu_ms + st.cpu_ms + d.cpu_ms + init_cpu;
  return s;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double pos = q * double(v.size() - 1);
  auto i = size_t(pos);
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - double(i)) * (v[i + 1] - v[i]);
}

long rss_anon_kib() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "RssAnon:", 8) == 0) v = std::atol(line + 8);
  std::fclose(f);
  return v;
}

struct Summary {
  double med = 0, p10 = 0, p90 = 0, rss = 0, cpu = 0;
  double step_med[kSteps] = {}, step_rss[kSteps] = {};
};

Summary summarize(const std::vector<Sample>& v) {
  Summary s;
  std::vector<double> ms, rss, cpu;
  for (const auto& x : v) ms.push_back(x.ms), rss.push_back(double(x.rss_kib)), cpu.push_back(x.cpu_ms);
  s.cpu = quantile(cpu, 0.5);
  s.med = quantile(ms, 0.5), s.p10 = quantile(ms, 0.1), s.p90 = quantile(ms, 0.9);
  s.rss = quantile(rss, 0.5);
  for (int k = 0; k < kSteps; k++) {
    std::vector<double> a, b;
    for (const auto& x : v) a.push_back(x.step_ms[k]), b.push_back(double(x.step_rss_kib[k]));
    s.step_med[k] = quantile(a, 0.5), s.step_rss[k] = quantile(b, 0.5);
  }
  return s;
}

// Prints one scenario's table; returns whether the subject (runtimes[0]) met the targets.
bool report(const Options& o, const char* scenario, const char* what, const std::vector<std::vector<Sample>>& samples) {
  const size_t n = o.runtimes.size();
  std::vector<Summary> s;
  s.reserve(samples.size());
  for (const auto& v : samples) s.push_back(summarize(v));
  std::printf("\n== scenario %s: %s\n", scenario, what);
  std::printf("  %-12s %10s %9s %9s %14s %12s\n", "runtime", "median ms", "p10 ms", "p90 ms", "peak RSS KiB", "CPU ms");
  for (size_t i = 0; i < n; i++)
    std::printf("  %-12s %10.2f %9.2f %9.2f %14.0f %12.2f\n", o.runtimes[i].name.c_str(), s[i].med, s[i].p10, s[i].p90,
                s[i].rss, s[i].cpu);
  if (std::string(scenario) == "cycle") {
    std::printf("  steps, median ms (median peak RSS KiB):\n");
    for (size_t i = 0; i < n; i++) {
      std::printf("  %-12s", o.runtimes[i].name.c_str());
      for (int k = 0; k < kSteps; k++) {
        if (k == 2)
          std::printf("  %s %.2f", kStepNames[k], s[i].step_med[k]);
        else
          std::printf("  %s %.2f (%.0f)", kStepNames[k], s[i].step_med[k], s[i].step_rss[k]);
      }
      std::printf("\n");
    }
  }
  const std::string& subj = o.runtimes[0].name;
  for (size_t i = 1; i < n; i++)
    std::printf("  %s/%s: time %.2fx  RSS %.2fx\n", subj.c_str(), o.runtimes[i].name.c_str(), s[0].med / s[i].med,
                s[0].rss / s[i].rss);
  for (size_t i = 1; i < n; i++) {
    if (o.runtimes[i].name != o.target_peer) continue;
    bool t_ok = s[0].med <= o.time_target * s[i].med, r_ok = s[0].rss <= s[i].rss;
    std::printf("  target vs %s: time %.2fx (<= %.2fx) %s; RSS %.0f vs %.0f KiB (<= 1.00x) %s => %s\n",
                o.target_peer.c_str(), s[0].med / s[i].med, o.time_target, t_ok ? "PASS" : "MISS", s[0].rss, s[i].rss,
                r_ok ? "PASS" : "MISS", t_ok && r_ok ? "PASS" : "MISS");
    return t_ok && r_ok;
  }
  std::printf("  target: no runtime named %s to compare with\n", o.target_peer.c_str());
  return false;
}

void usage() {
  std::fprintf(stderr,
               "usage: oci_lifecycle_driver --bundle DIR --state DIR [--runs N] [--warmup N]\n"
               "         [--scenarios run,cycle] [--prefix ID_PREFIX] [--raw FILE] [--timeout-ms MS]\n"
               "         [--settle-ms MS] [--target-peer NAME] [--time-target X] NAME=PATH...\n"
               "  The first NAME=PATH is the runtime under test; its roots are STATE/NAME.\n"
               "  Run as root, in a mount namespace where every runtime works (see\n"
               "  bench/oci_lifecycle.sh).\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--bundle")
      o.bundle = val();
    else if (a == "--state")
      o.state = val();
    else if (a == "--runs")
      o.runs = std::atoi(val().c_str());
    else if (a == "--warmup")
      o.warmup = std::atoi(val().c_str());
    else if (a == "--prefix")
      o.prefix = val();
    else if (a == "--raw")
      o.raw = val();
    else if (a == "--timeout-ms")
      o.timeout_ms = std::atoi(val().c_str());
    else if (a == "--settle-ms")
      o.settle_ms = std::atoi(val().c_str());
    else if (a == "--target-peer")
      o.target_peer = val();
    else if (a == "--time-target")
      o.time_target = std::atof(val().c_str());
    else if (a == "--scenarios") {
      std::string v = val();
      o.do_run = v.find("run") != std::string::npos;
      o.do_cycle = v.find("cycle") != std::string::npos;
    } else if (a.rfind("--", 0) == 0 || a.find('=') == std::string::npos) {
      usage();
    } else {
      size_t eq = a.find('=');
      o.runtimes.push_back({a.substr(0, eq), a.substr(eq + 1), ""});
    }
  }
  if (o.bundle.empty() || o.state.empty() || o.runtimes.empty() || o.runs < 1 || o.warmup < 0 ||
      (!o.do_run && !o.do_cycle))
    usage();
  for (auto& rt : o.runtimes) {
    if (access(rt.path.c_str(), X_OK) != 0) die("%s: %s is not executable", rt.name, rt.path);
    rt.root = o.state + "/" + rt.name;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) die("prctl(PR_SET_CHILD_SUBREAPER) failed");
  g_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  g_errpath = o.state + "/stderr.log";
  g_errfd = open(g_errpath.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (g_devnull < 0 || g_errfd < 0) die("cannot open /dev/null or %s", g_errpath);
  for (auto& rt : o.runtimes) mkdir(rt.root.c_str(), 0700);
  FILE* raw = nullptr;
  if (!o.raw.empty()) {
    raw = std::fopen(o.raw.c_str(), "w");
    if (!raw) die("cannot write %s", o.raw);
    std::fprintf(raw, "scenario\truntime\tround\tms\trss_kib\tcpu_ms\tcreate_ms\tstart_ms\twait_ms\tdelete_ms\n");
  }

  const size_t n = o.runtimes.size();
  std::vector<std::vector<Sample>> run_s(n), cycle_s(n);
  const int rounds = o.warmup + o.runs;
  const std::string tag = std::to_string(getpid());
  // Each round runs every runtime once per scenario, in the next of the n! orders (a plain
  // rotation would keep every runtime behind the same predecessor, whose after-effects, e.g.
  // pending RCU work from its cgroup removal, would then always hit the same runtime).
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; i++) order[i] = i;
  for (int r = 0; r < rounds; r++) {
    if (r > 0) std::next_permutation(order.begin(), order.end());
    for (int sc = 0; sc < 2; sc++) {
      if ((sc == 0 && !o.do_run) || (sc == 1 && !o.do_cycle)) continue;
      for (size_t j = 0; j < n; j++) {
        size_t i = order[j];
        const Runtime& rt = o.runtimes[i];
        std::string id =
            o.prefix + tag + "-" + (sc == 0 ? "run" : "cycle") + "-" + std::to_string(i) + "-" + std::to_string(r);
        // untimed pause: the kernel finishes the previous container's asynchronous teardown
        // (network namespace cleanup, RCU callbacks of removed cgroups) before the next one
        if (o.settle_ms > 0) {
          timespec ts{o.settle_ms / 1000, long(o.settle_ms % 1000) * 1000000};
          while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
          }
        }
        Sample s = sc == 0 ? lifecycle_run(o, rt, id) : lifecycle_cycle(o, rt, id);
        if (raw)
          std::fprintf(raw, "%s\t%s\t%d\t%.3f\t%ld\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\n", sc == 0 ? "run" : "cycle",
                       rt.name.c_str(), r - o.warmup, s.ms, s.rss_kib, s.cpu_ms, s.step_ms[0], s.step_ms[1],
                       s.step_ms[2], s.step_ms[3]);
        if (r < o.warmup) continue;
        (sc == 0 ? run_s : cycle_s)[i].push_back(s);
      }
    }
    if (r + 1 == o.warmup)
      std::fprintf(stderr, "  %d warm-up rounds done\n", o.warmup);
    else if (r >= o.warmup && (r + 1 == rounds || (r + 1 - o.warmup) % 10 == 0))
      std::fprintf(stderr, "  round %d/%d\n", r + 1 - o.warmup, o.runs);
  }
  if (raw) std::fclose(raw);
  unlink(g_errpath.c_str());

  std::string pause =
      o.settle_ms > 0 ? std::to_string(o.settle_ms) + " ms untimed pause before each" : std::string("back to back");
  std::printf(
      "%d runs per runtime and scenario (+%d warm-up rounds discarded), interleaved in "
      "all %zu! orders, %s; RSS floor (driver anon inherited at fork): %ld KiB\n",
      o.runs, o.warmup, n, pause.c_str(), rss_anon_kib());
  bool ok = true;
  if (o.do_run) ok &= report(o, "run", "RT run -b BUNDLE ID, /bin/true to exit (runtime deletes it)", run_s);
  if (o.do_cycle) ok &= report(o, "cycle", "RT create; RT start; wait for exit (pidfd); RT delete", cycle_s);
  std::printf("\noverall (%s vs %s: median time <= %.2fx, peak RSS <= 1.00x in every scenario): %s\n",
              o.runtimes[0].name.c_str(), o.target_peer.c_str(), o.time_target, ok ? "PASS" : "MISS");
  return ok ? 0 : 3;
}
