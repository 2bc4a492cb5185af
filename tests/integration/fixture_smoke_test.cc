// The integration-test fixture itself: bundles, config edits, command runs and clean-up.
// Needs neither root nor a working berth-oci (the bundle's spec falls back to runc).
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "common/file.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

using std::chrono::seconds;

bool has_namespace(const rapidjson::Document& config, std::string_view type) {
  const auto& namespaces = config["linux"]["namespaces"].GetArray();
  return std::any_of(namespaces.begin(), namespaces.end(),
                     [&](const rapidjson::Value& ns) { return ns["type"].GetString() == type; });
}

TEST(BundleFixture, MakesARunnableBusyboxBundle) {
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();

  struct stat st {};
  ASSERT_EQ(::stat((fx.rootfs() + "/bin/busybox").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR) != 0);
  // An absolute link into the container's own /bin: look at the link, not where it leads on the host.
  ASSERT_EQ(::lstat((fx.rootfs() + "/bin/sh").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode) || S_ISREG(st.st_mode));
  EXPECT_TRUE(path_exists(fx.rootfs() + "/etc/passwd"));
  ASSERT_EQ(::stat((fx.rootfs() + "/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777U);
  RunResult r = run_cmd({fx.rootfs() + "/bin/busybox", "echo", "static"});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "static\n");

  rapidjson::Document& config = fx.config();
  ASSERT_TRUE(config.IsObject());
  EXPECT_STREQ(config["root"]["path"].GetString(), "rootfs");
  EXPECT_FALSE(config["root"]["readonly"].GetBool());
  EXPECT_FALSE(config["process"]["terminal"].GetBool());
  ASSERT_EQ(config["process"]["args"].Size(), 1U);
  EXPECT_STREQ(config["process"]["args"][0].GetString(), "sh");
  EXPECT_TRUE(has_namespace(config, "network"));
}

TEST(BundleFixture, OptionsReachConfig) {
  BundleFixture fx({.args = {"sh", "-c", "echo \"a b\""}, .net = false, .tty = true});
  ASSERT_TRUE(fx.ok()) << fx.error();

  const rapidjson::Document& config = fx.config();
  ASSERT_EQ(config["process"]["args"].Size(), 3U);
  EXPECT_STREQ(config["process"]["args"][2].GetString(), "echo \"a b\"");
  EXPECT_TRUE(config["process"]["terminal"].GetBool());
  EXPECT_FALSE(has_namespace(config, "network"));
}

TEST(BundleFixture, SavedConfigIsWhatTheRuntimeReads) {
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  auto& config = fx.config();
  config["hostname"].SetString("edited", config.GetAllocator());
  fx.save_config();

  auto text = read_file(fx.config_path());
  ASSERT_TRUE(text.ok()) << text.error().message();
  rapidjson::Document reread;
  reread.Parse(text->c_str());
  ASSERT_FALSE(reread.HasParseError());
  EXPECT_STREQ(reread["hostname"].GetString(), "edited");
}

TEST(BundleFixture, CleanUpRemovesTheTempDir) {
  std::string dir;
  {
    BundleFixture fx;
    ASSERT_TRUE(fx.ok()) << fx.error();
    dir = fx.dir();
    EXPECT_TRUE(path_exists(fx.config_path()));
    EXPECT_EQ(fx.new_id().rfind("berth-it-", 0), 0U);
  }
  EXPECT_FALSE(path_exists(dir));
}

TEST(RunCmd, CapturesStdoutStderrAndExitCode) {
  RunResult r = run_cmd({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(RunCmd, FeedsStdin) {
  std::string big(1 << 20, 'x');  // more than a pipe holds: writing and reading must interleave
  RunResult r = run_cmd({"cat"}, big);
  EXPECT_TRUE(r.ok()) << r.command << " exit " << r.exit_code;
  EXPECT_EQ(r.out.size(), big.size());
  EXPECT_EQ(r.out, big);
}

TEST(RunCmd, ReportsDeathBySignal) {
  RunResult r = run_cmd({"sh", "-c", "kill -9 $$"});
  EXPECT_EQ(r.exit_code, 128 + 9) << r;
}

TEST(RunCmd, KillsTheProcessGroupAtTheTimeout) {
  auto start = std::chrono::steady_clock::now();
  RunResult r = run_cmd({"sh", "-c", "sleep 30 & sleep 30"}, {}, seconds(1));
  EXPECT_TRUE(r.timed_out) << r;
  EXPECT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
}

TEST(RunCmd, ReturnsWhenTheProcessExitsThoughAChildKeepsItsOutput) {
  auto start = std::chrono::steady_clock::now();
  RunResult r = run_cmd({"sh", "-c", "(sleep 5; echo late) & echo started"});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(4));
}

TEST(RunCmd, ReportsAMissingProgram) {
  RunResult r = run_cmd({"/nonexistent/berth-no-such-program"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("berth-no-such-program"), std::string::npos) << r;
}

}  // namespace
}  // namespace berth::integration
