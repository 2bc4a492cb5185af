#include "tests/integration/support/local_registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/fd.h"
#include "common/file.h"

namespace berth::integration {
namespace {

// A port nobody listens on now (the kernel's pick for an ephemeral bind).
int free_loopback_port() {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return -1;
  }
  return ntohs(addr.sin_port);
}

bool answers(const std::string& host) {
  RunResult r = run_cmd({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://" + host + "/v2/"}, {},
                        std::chrono::seconds(2));
  return r.out == "200" || r.out == "401";
}

}  // namespace

LocalRegistry::LocalRegistry(const Options& options) {
  if (::access("/usr/bin/docker-registry", X_OK) != 0) {
    unavailable_ = "docker-registry is not installed (scripts/install-deps.sh)";
    return;
  }
  std::string tmpl = "/tmp/berth-it-registry-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    unavailable_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  data_ = dir_ + "/data";
  std::string auth;
  if (!options.user.empty()) {
    RunResult h = run_cmd({"htpasswd", "-Bbn", options.user, options.password});
    if (!h.ok() || !write_file(dir_ + "/htpasswd", h.out).ok()) {
      unavailable_ = "htpasswd (apache2-utils) failed: " + h.err;
      return;
    }
    auth = "auth:\n  htpasswd:\n    realm: berth-test\n    path: " + dir_ + "/htpasswd\n";
    creds_ = options.user + ":" + options.password;
  }
  // A port picked now may be taken before the registry binds it: try a few.
  for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
    host_ = "127.0.0.1:" + std::to_string(free_loopback_port());
    const std::string config =
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " + data_ +
        "\n  delete:\n    enabled: true\nhttp:\n  addr: " + host_ + "\n" + auth;
    if (start(config)) return;
  }
  unavailable_ = "docker-registry did not start on a loopback port";
}

bool LocalRegistry::start(const std::string& config) {
  if (!write_file(dir_ + "/config.yml", config).ok()) return false;
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  auto pid =
      spawn_in_own_group({"/usr/bin/docker-registry", "serve", dir_ + "/config.yml"}, -1, null.get(), null.get());
  if (!pid) return false;
  for (int i = 0; i < 100; ++i) {
    if (answers(host_)) {
      pid_ = *pid;
      return true;
    }
    if (::waitpid(*pid, nullptr, WNOHANG) == *pid) return false;  // it exited: the port was taken
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-*pid, SIGKILL);
  ::waitpid(*pid, nullptr, 0);
  return false;
}

LocalRegistry::~LocalRegistry() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  if (!dir_.empty()) (void)remove_tree(dir_);
}

RunResult LocalRegistry::push(const std::string& source, const std::string& repo_tag) const {
  std::vector<std::string> argv = {"skopeo", "copy", "--quiet", "--dest-tls-verify=false"};
  if (!creds_.empty()) argv.insert(argv.end(), {"--dest-creds", creds_});
  argv.insert(argv.end(), {source, "docker://" + host_ + "/" + repo_tag});
  return run_cmd(argv, {}, std::chrono::seconds(60));
}

}  // namespace berth::integration
