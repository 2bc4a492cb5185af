// The seccomp notify listener: a rule with SCMP_ACT_NOTIFY hands the listener fd to the
// agent at linux.seccomp.listenerPath (with the container process state), and the agent's
// answer is what the container's syscall returns. Runs real busybox containers: needs root.
#include <linux/seccomp.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "common/fd.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/unix_socket.h"

namespace berth::integration {
namespace {

// A seccomp agent: accepts one connection, keeps the state JSON, and answers every
// notification with -EROFS until the listener closes (the container is gone).
class RefusingAgent {
 public:
  static constexpr std::chrono::milliseconds kPatience{20000};

  explicit RefusingAgent(std::string path) : path_(std::move(path)) {
    std::string error;
    sock_ = listen_unix(path_, 1, error);
    ok_ = static_cast<bool>(sock_);
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  RefusingAgent(const RefusingAgent&) = delete;
  RefusingAgent& operator=(const RefusingAgent&) = delete;
  ~RefusingAgent() {
    ::shutdown(sock_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& state() const { return state_; }
  [[nodiscard]] int answered() const { return answered_; }

 private:
  void serve() {
    std::string error;
    UniqueFd conn = accept_within(sock_.get(), kPatience, error);
    if (!conn) return;
    UniqueFd listener = receive_fd(conn.get(), kPatience, 8191, state_, error);
    if (listener) answer_all(listener.get());
  }

  void answer_all(int listener) {
    for (;;) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(kPatience.count())) != 1 || (p.revents & POLLIN) == 0) return;
      seccomp_notif req{};
      if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return;
      seccomp_notif_resp resp{};
      resp.id = req.id;
      resp.error = -EROFS;
      if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) ++answered_;
    }
  }

  std::string path_;
  UniqueFd sock_;
  bool ok_ = false;
  std::thread thread_;
  std::string state_;
  int answered_ = 0;
};

TEST(SeccompNotify, AgentGetsTheListenerAndAnswersTheSyscall) {
  skip_unless_root();
  BundleFixture fx({.args = {"sh", "-c", "mkdir /tmp/notified; echo rc=$?"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string socket_path = fx.dir() + "/agent.sock";
  RefusingAgent agent(socket_path);
  ASSERT_TRUE(agent.ok()) << "cannot listen on " << socket_path;

  std::string seccomp = R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": ")" + socket_path +
                        R"(", "listenerMetadata": "berth-test", "syscalls": [{"names": ["mkdir", "mkdirat"],
                            "action": "SCMP_ACT_NOTIFY"}]})";
  ASSERT_NO_FATAL_FAILURE(set_json(fx, "linux", "seccomp", seccomp));
  fx.save_config();

  std::string id = fx.new_id("notify");
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << "the agent's answer did not reach mkdir\n" << r;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r;
  EXPECT_GE(agent.answered(), 1);

  rapidjson::Document state;
  state.Parse(agent.state().c_str());
  ASSERT_FALSE(state.HasParseError()) << agent.state();
  ASSERT_TRUE(state.HasMember("fds") && state["fds"].IsArray() && state["fds"].Size() == 1);
  EXPECT_STREQ(state["fds"][0].GetString(), "seccompFd");
  EXPECT_STREQ(state["metadata"].GetString(), "berth-test");
  EXPECT_GT(state["pid"].GetInt(), 0);
  EXPECT_EQ(std::string(state["state"]["id"].GetString()), id);
}

}  // namespace
}  // namespace berth::integration
