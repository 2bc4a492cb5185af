#include "tests/integration/support/private_podman.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "common/file.h"
#include "tests/integration/support/cgroups.h"

namespace berth::integration {
namespace {

using std::chrono::seconds;

// podman asks for RLIMIT_NOFILE and RLIMIT_NPROC of its own (1048576, and the host's
// maximum), but the conmon it starts, whose limits the runtime inherits, had a hard NPROC of
// 32768 on the build host (its /proc/PID/limits), below this process's. berth-oci, like runc,
// cannot raise a hard limit without CAP_SYS_RESOURCE, which the build host lacks: ask for
// limits under both.
std::string ulimit_arg(const char* name, decltype(RLIMIT_NOFILE) resource, rlim_t cap) {
  rlimit lim{};
  rlim_t value = cap;
  if (::getrlimit(resource, &lim) == 0 && lim.rlim_max != RLIM_INFINITY) value = std::min(value, lim.rlim_max);
  return std::string(name) + "=" + std::to_string(value) + ":" + std::to_string(value);
}

std::vector<std::string> ulimit_args() {
  return {"--ulimit", ulimit_arg("nofile", RLIMIT_NOFILE, 1048576), "--ulimit",
          ulimit_arg("nproc", RLIMIT_NPROC, 32768)};
}

}  // namespace

void PrivatePodmanTest::SetUp() {
  skip_unless_root();
  podman_ = find_program("podman");
  if (podman_.empty()) GTEST_SKIP() << "podman is not installed (apt-get install podman)";
  for (const char* c : {"/usr/bin/conmon", "/usr/libexec/podman/conmon", "/usr/local/bin/conmon"}) {
    if (::access(c, X_OK) == 0) {
      conmon_ = c;
      break;
    }
  }
  if (conmon_.empty()) conmon_ = find_program("conmon");
  if (conmon_.empty()) GTEST_SKIP() << "conmon is not installed (apt-get install conmon)";

  std::string error;
  // Short, too: podman refuses a --runroot longer than 50 characters.
  dir_ = make_lowercase_temp_dir("berth-podman-", error);
  ASSERT_FALSE(dir_.empty()) << error;
  cgroup_parent_ = "/berth-podman-" + std::to_string(::getpid());

  ns_ = std::make_unique<PrivateMountNamespace>();
  if (!ns_->ok()) GTEST_SKIP() << "no private mount namespace for podman: " << ns_->error();
  for (const char* p : {"/run", "/dev/shm"}) ASSERT_EQ(ns_->mount_tmpfs(p), "");
  // containers/image keeps root's blob info cache in /var/lib/containers/cache whatever
  // --root says: give it a tmpfs (over /var/lib when the host has no /var/lib/containers).
  ASSERT_EQ(ns_->mount_tmpfs(path_exists("/var/lib/containers") ? "/var/lib/containers" : "/var/lib"), "");

  write_configs();
}

void PrivatePodmanTest::TearDown() {
  if (dir_.empty()) return;
  if (ns_ && ns_->ok()) {
    RunResult rm = podman({"rm", "--all", "--force", "--time", "0"});
    if (!rm.ok()) ADD_FAILURE() << "clean-up: " << rm;
  }
  // conmon and the exit commands it runs outlive podman: end them, then the namespace.
  kill_processes_mentioning(dir_);
  ns_.reset();
  if (std::string left = remove_cgroup_tree(cgroup_parent_); !left.empty()) {
    ADD_FAILURE() << "cgroups left behind:\n" << left;
  }
  if (auto st = remove_tree(dir_); !st) ADD_FAILURE() << "clean-up: " << st.error().message();
}

void PrivatePodmanTest::write_configs() {
  const std::string& d = dir_;
  const std::string conf = substitute(R"([containers]
netns = "none"
log_driver = "k8s-file"
[network]
network_config_dir = "@DIR@/net"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "@DIR@/events.log"
lock_type = "file"
conmon_path = ["@CONMON@"]
tmp_dir = "@DIR@/tmp"
volume_path = "@DIR@/volumes"
static_dir = "@DIR@/static"
image_copy_tmp_dir = "@DIR@/tmp"
runtime = "berth"
[engine.runtimes]
berth = ["@RUNTIME@"]
)",
                                      {{"DIR", d}, {"CONMON", conmon_}, {"RUNTIME", berth_oci_binary()}});
  const std::string storage = substitute(R"([storage]
driver = "vfs"
graphroot = "@DIR@/root"
runroot = "@DIR@/runroot"
)",
                                         {{"DIR", d}});
  ASSERT_TRUE(mkdir_p(d + "/tmp"));
  ASSERT_TRUE(write_file(d + "/containers.conf", conf));
  ASSERT_TRUE(write_file(d + "/storage.conf", storage));
  ASSERT_TRUE(write_file(d + "/registries.conf", "unqualified-search-registries = []\n"));
  ASSERT_TRUE(write_file(d + "/policy.json", R"({"default": [{"type": "insecureAcceptAnything"}]})"));
}

RunResult PrivatePodmanTest::podman(const std::vector<std::string>& args, seconds timeout) {
  std::vector<std::string> argv = {
      "env",
      "CONTAINERS_CONF=" + dir_ + "/containers.conf",
      "CONTAINERS_STORAGE_CONF=" + dir_ + "/storage.conf",
      "CONTAINERS_REGISTRIES_CONF=" + dir_ + "/registries.conf",
      "TMPDIR=" + dir_ + "/tmp",
      podman_,
      "--root",
      dir_ + "/root",
      "--runroot",
      dir_ + "/runroot",
      "--tmpdir",
      dir_ + "/tmp",
      "--storage-driver",
      "vfs",
      "--cgroup-manager",
      "cgroupfs",
      "--events-backend",
      "file",
      "--conmon",
      conmon_,
      "--runtime",
      berth_oci_binary(),
  };
  argv.insert(argv.end(), args.begin(), args.end());
  return ns_->run(argv, timeout);
}

std::vector<std::string> PrivatePodmanTest::run_args(std::vector<std::string> options, const std::string& image) const {
  options.insert(options.end(), {"--network", "none", "--cgroup-parent", cgroup_parent_});
  std::vector<std::string> ulimits = ulimit_args();
  options.insert(options.end(), ulimits.begin(), ulimits.end());
  options.push_back(image);
  return options;
}

}  // namespace berth::integration
