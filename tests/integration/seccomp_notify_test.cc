// The seccomp notify listener: a rule with SCMP_ACT_NOTIFY hands the listener fd to the
// agent at linux.seccomp.listenerPath (with the container process state), and the agent's
// answer is what the container's syscall returns. Runs real busybox containers: needs root.
#include <linux/seccomp.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "common/fd.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

// A seccomp agent: accepts one connection, keeps the state JSON, and answers every
// notification with -EROFS until the listener closes (the container is gone).
class RefusingAgent {
 public:
  explicit RefusingAgent(std::string path) : path_(std::move(path)) {
    sock_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    ok_ = sock_ && ::bind(sock_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
          ::listen(sock_.get(), 1) == 0;
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
    pollfd p{sock_.get(), POLLIN, 0};
    if (::poll(&p, 1, 20000) != 1) return;
    UniqueFd conn(::accept4(sock_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return;
    char buf[8192] = {};
    iovec iov{buf, sizeof buf - 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) return;
    state_.assign(buf, static_cast<size_t>(n));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c == nullptr || c->cmsg_type != SCM_RIGHTS) return;
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    UniqueFd listener(fd);
    answer_all(listener.get());
  }

  void answer_all(int listener) {
    for (;;) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 20000) != 1 || (p.revents & POLLIN) == 0) return;
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

  auto& config = fx.config();
  auto& a = config.GetAllocator();
  std::string seccomp = R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": ")" + socket_path +
                        R"(", "listenerMetadata": "berth-test", "syscalls": [{"names": ["mkdir", "mkdirat"],
                            "action": "SCMP_ACT_NOTIFY"}]})";
  rapidjson::Document value(&a);
  value.Parse(seccomp.c_str());
  ASSERT_FALSE(value.HasParseError());
  if (config["linux"].HasMember("seccomp")) config["linux"].RemoveMember("seccomp");
  config["linux"].AddMember("seccomp", rapidjson::Value(value, a), a);
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
