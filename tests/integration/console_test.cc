// Terminals: a container with process.terminal hands its pty master to the caller's
// --console-socket (SCM_RIGHTS), and the container talks through it; without a socket,
// create is refused and a foreground run proxies the pty itself.
// Runs real busybox containers: needs root.
#include <fcntl.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A listening unix socket that receives one pty master, as a container engine's would.
class ConsoleSocket {
 public:
  explicit ConsoleSocket(std::string path) : path_(std::move(path)) {
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (!fd_ || path_.size() >= sizeof addr.sun_path) {
      error_ = "socket";
      return;
    }
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_.get(), 4) != 0) {
      error_ = std::string("bind/listen ") + path_ + ": " + std::strerror(errno);
    }
  }
  ~ConsoleSocket() { ::unlink(path_.c_str()); }
  ConsoleSocket(const ConsoleSocket&) = delete;
  ConsoleSocket& operator=(const ConsoleSocket&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& error() const { return error_; }

  // Accepts a connection and receives the fd it sends (and the message, the pty's name).
  UniqueFd receive(std::string& name, std::chrono::milliseconds timeout = 5000ms) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
      error_ = "nobody connected to the console socket";
      return {};
    }
    UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) {
      error_ = std::string("accept: ") + std::strerror(errno);
      return {};
    }
    pollfd c{conn.get(), POLLIN, 0};
    if (::poll(&c, 1, static_cast<int>(timeout.count())) != 1) {
      error_ = "no message on the console socket";
      return {};
    }
    char data[256] = {};
    iovec iov{data, sizeof data - 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      error_ = std::string("recvmsg: ") + std::strerror(errno);
      return {};
    }
    name.assign(data, static_cast<size_t>(n));
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        return UniqueFd(fd);
      }
    }
    error_ = "the console socket message carried no fd";
    return {};
  }

 private:
  std::string path_;
  UniqueFd fd_;
  std::string error_;
};

// Reads from `fd` into `into` until it holds `needle`, the other side closes, or the timeout.
bool read_until(int fd, std::string& into, const std::string& needle, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = Clock::now() + timeout;
  while (into.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return into.find(needle) != std::string::npos;  // EIO: the slave side is gone
    into.append(buf, static_cast<size_t>(n));
  }
  return true;
}

void set_member(rapidjson::Value& object, const char* name, rapidjson::Value value,
                rapidjson::Document::AllocatorType& a) {
  if (object.HasMember(name)) {
    object[name] = value;
  } else {
    object.AddMember(rapidjson::Value(name, a), value, a);
  }
}

class Console : public ::testing::Test {
 protected:
  void SetUp() override { skip_unless_root(); }
};

TEST_F(Console, TerminalContainerTalksThroughTheConsoleSocket) {
  BundleFixture fx({.args = {"sh", "-c", "tty; echo hello; read line; echo \"got:$line\""}, .tty = true});
  ASSERT_TRUE(fx.ok()) << fx.error();
  ConsoleSocket console(fx.dir() + "/console.sock");
  ASSERT_EQ(console.error(), "");
  std::string id = fx.new_id();
  RunResult created = fx.berth_oci({"create", "--console-socket", console.path(), "--bundle", fx.bundle(), id});
  ASSERT_TRUE(created.ok()) << created;
  std::string name;
  UniqueFd master = console.receive(name);
  ASSERT_TRUE(master) << console.error();
  EXPECT_TRUE(starts_with(name, "/dev/pts/")) << "message: " << name;
  EXPECT_TRUE(::isatty(master.get())) << "the received fd is not a terminal";

  RunResult started = fx.berth_oci({"start", id});
  ASSERT_TRUE(started.ok()) << started;
  std::string out;
  ASSERT_TRUE(read_until(master.get(), out, "hello")) << "read so far: " << out;
  EXPECT_EQ(out.find("not a tty"), std::string::npos) << out;
  EXPECT_TRUE(out.find("/dev/pts/") != std::string::npos || out.find("/dev/console") != std::string::npos) << out;
  ASSERT_EQ(::write(master.get(), "ping\n", 5), 5);
  EXPECT_TRUE(read_until(master.get(), out, "got:ping")) << "read so far: " << out;
}

TEST_F(Console, ConsoleSizeFromConfigApplies) {
  BundleFixture fx({.args = {"sh", "-c", "stty size; echo end"}, .tty = true});
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value size(rapidjson::kObjectType);
  size.AddMember("height", 30, a);
  size.AddMember("width", 100, a);
  set_member(config["process"], "consoleSize", std::move(size), a);
  fx.save_config();
  ConsoleSocket console(fx.dir() + "/console.sock");
  ASSERT_EQ(console.error(), "");
  std::string id = fx.new_id();
  ASSERT_TRUE(fx.berth_oci({"create", "--console-socket", console.path(), "--bundle", fx.bundle(), id}).ok());
  std::string name;
  UniqueFd master = console.receive(name);
  ASSERT_TRUE(master) << console.error();
  ASSERT_TRUE(fx.berth_oci({"start", id}).ok());
  std::string out;
  EXPECT_TRUE(read_until(master.get(), out, "end")) << out;
  EXPECT_NE(out.find("30 100"), std::string::npos) << out;
}

TEST_F(Console, DevConsoleIsTheContainersPty) {
  BundleFixture fx({.args = {"sh", "-c", "echo via-console > /dev/console; echo end"}, .tty = true});
  ASSERT_TRUE(fx.ok()) << fx.error();
  ConsoleSocket console(fx.dir() + "/console.sock");
  ASSERT_EQ(console.error(), "");
  std::string id = fx.new_id();
  ASSERT_TRUE(fx.berth_oci({"create", "--console-socket", console.path(), "--bundle", fx.bundle(), id}).ok());
  std::string name;
  UniqueFd master = console.receive(name);
  ASSERT_TRUE(master) << console.error();
  ASSERT_TRUE(fx.berth_oci({"start", id}).ok());
  std::string out;
  EXPECT_TRUE(read_until(master.get(), out, "end")) << out;
  EXPECT_NE(out.find("via-console"), std::string::npos) << "writing /dev/console did not reach the pty: " << out;
}

TEST_F(Console, TerminalWithoutConsoleSocketIsRefusedAtCreate) {
  BundleFixture fx({.args = {"sh"}, .tty = true});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("--console-socket"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
  RunResult list = fx.berth_oci({"list", "-q"});
  EXPECT_EQ(trim(list.out), "") << list;
}

TEST_F(Console, MissingConsoleSocketIsAClearError) {
  BundleFixture fx({.args = {"sh"}, .tty = true});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = fx.new_id();
  const std::string missing = fx.dir() + "/no-such.sock";
  RunResult r = fx.berth_oci({"create", "--console-socket", missing, "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
}

TEST_F(Console, ForegroundRunWithoutConsoleSocketProxiesThePty) {
  BundleFixture fx({.args = {"sh", "-c", "tty; echo proxied"}, .tty = true});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id()}, {}, std::chrono::seconds(10));
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_NE(r.out.find("proxied"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("not a tty"), std::string::npos) << r;
}

}  // namespace
}  // namespace berth::integration
