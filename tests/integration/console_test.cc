// Terminals: a container with process.terminal hands its pty master to the caller's
// --console-socket (SCM_RIGHTS), and the container talks through it; without a socket,
// create is refused and a foreground run proxies the pty itself.
// Runs real busybox containers: needs root.
#include <rapidjson/document.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "common/fd.h"
#include "common/strings.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/console_socket.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

class Console : public ::testing::Test {
 protected:
  void SetUp() override { skip_unless_root(); }
};

// Creates the bundle's container with a --console-socket, receives its pty master, starts it
// and reads what it writes to the terminal up to "end" into `out`.
void run_on_console(BundleFixture& fx, std::string& out) {
  ConsoleSocket console(fx.dir() + "/console.sock");
  ASSERT_EQ(console.error(), "");
  std::string id = fx.new_id();
  ASSERT_TRUE(fx.berth_oci({"create", "--console-socket", console.path(), "--bundle", fx.bundle(), id}).ok());
  std::string name;
  UniqueFd master = console.receive(name);
  ASSERT_TRUE(master) << console.error();
  ASSERT_TRUE(fx.berth_oci({"start", id}).ok());
  EXPECT_TRUE(read_until(master.get(), out, "end")) << out;
}

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
  std::string out;
  ASSERT_NO_FATAL_FAILURE(run_on_console(fx, out));
  EXPECT_NE(out.find("30 100"), std::string::npos) << out;
}

TEST_F(Console, DevConsoleIsTheContainersPty) {
  BundleFixture fx({.args = {"sh", "-c", "echo via-console > /dev/console; echo end"}, .tty = true});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string out;
  ASSERT_NO_FATAL_FAILURE(run_on_console(fx, out));
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
