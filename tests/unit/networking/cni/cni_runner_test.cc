// The CNI protocol as berth speaks it to plugins, against a real plugin executable written by
// the test (a shell script that journals what it was given): the CNI_* environment, the
// injected name/cniVersion/runtimeConfig/prevResult, ADD in order and DEL in reverse, a
// failed ADD undone, and DEL from the cache after a restart with the configuration gone.
#include "networking/cni/cni_runner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::cni {
namespace {

// Journals each call as <journal>/<NN>-<tag>-<COMMAND> (environment, then stdin); fails the
// command named by "fail"; prints a result naming its tag for ADD.
constexpr const char* kPlugin = R"SH(#!/bin/sh
in=$(cat)
field() { printf '%s' "$in" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
dir=$(field journal); tag=$(field tag)
n=$(ls "$dir" | wc -l)
{ env | grep '^CNI_' | sort; printf '%s' "$in"; } > "$dir/$(printf %02d "$n")-$tag-$CNI_COMMAND"
if [ "$CNI_COMMAND" = VERSION ]; then echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}'; exit 0; fi
if [ "$(field fail)" = "$CNI_COMMAND" ]; then echo '{"cniVersion":"1.0.0","code":7,"msg":"refused","details":"by the test"}'; exit 1; fi
if [ "$CNI_COMMAND" = ADD ]; then echo "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"$tag\"}]}"; fi
exit 0
)SH";

class CniRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(mkdir_p(plugins_).ok());
    ASSERT_TRUE(mkdir_p(journal_).ok());
    ASSERT_TRUE(write_file(plugins_ + "/journal", kPlugin, 0755).ok());
  }

  NetworkConfigList list(const std::string& fail_tag = {}, const std::string& fail_command = {}) {
    auto plugin = [&](const std::string& tag, bool ports) {
      std::string p = R"({"type": "journal", "journal": ")" + journal_ + R"(", "tag": ")" + tag + "\"";
      if (tag == fail_tag) p += R"(, "fail": ")" + fail_command + "\"";
      if (ports) p += R"(, "capabilities": {"portMappings": true})";
      return p + "}";
    };
    const std::string text = R"({"cniVersion": "1.0.0", "name": "testnet", "plugins": [)" + plugin("first", false) +
                             ", " + plugin("second", true) + "]}";
    auto parsed = parse_network_config(text, dir_.path() + "/net.conflist");
    EXPECT_TRUE(parsed) << parsed.error().message();
    return parsed ? *parsed : NetworkConfigList{};
  }

  [[nodiscard]] CniRunner runner() const {
    return CniRunner(
        RunnerOptions{{dir_.path() + "/missing", plugins_}, dir_.path() + "/cache", std::chrono::seconds(10)});
  }

  // The journal's entries in call order: "NN-tag-COMMAND".
  [[nodiscard]] std::vector<std::string> calls() const {
    auto names = list_dir(journal_);
    std::vector<std::string> out = names ? *names : std::vector<std::string>{};
    std::sort(out.begin(), out.end());
    return out;
  }
  [[nodiscard]] std::string call(const std::string& name) const { return read_file(journal_ + "/" + name).value(); }

  static Attachment attachment() {
    return Attachment{"c1", "/run/netns/berth-c1", "eth0", {{8080, 80, "tcp", ""}}, {{"K8S_POD_NAME", "web"}}};
  }

  TempDir dir_{"berth-cni-run-"};
  std::string plugins_ = dir_.path() + "/bin";
  std::string journal_ = dir_.path() + "/journal";
};

TEST_F(CniRunnerTest, AddRunsThePluginsInOrderWithTheSpecsEnvironmentAndChainedResults) {
  auto result = runner().add(list(), attachment());
  ASSERT_TRUE(result) << result.error().message();
  ASSERT_EQ(result->interfaces.size(), 1U);
  EXPECT_EQ(result->interfaces[0].name, "second");
  ASSERT_EQ(calls(), (std::vector<std::string>{"00-first-ADD", "01-second-ADD"}));
  const std::string first = call("00-first-ADD");
  for (const char* env : {"CNI_COMMAND=ADD\n", "CNI_CONTAINERID=c1\n", "CNI_IFNAME=eth0\n",
                          "CNI_NETNS=/run/netns/berth-c1\n", "CNI_ARGS=K8S_POD_NAME=web\n"}) {
    EXPECT_NE(first.find(env), std::string::npos) << env << " missing from\n" << first;
  }
  EXPECT_NE(first.find("CNI_PATH=" + dir_.path() + "/missing:" + plugins_), std::string::npos) << first;
  EXPECT_NE(first.find(R"("name":"testnet")"), std::string::npos) << first;
  EXPECT_NE(first.find(R"("cniVersion":"1.0.0")"), std::string::npos) << first;
  EXPECT_EQ(first.find("prevResult"), std::string::npos) << "the first plugin has no previous result";
  EXPECT_EQ(first.find("runtimeConfig"), std::string::npos) << "only plugins with the capability get it";
  const std::string second = call("01-second-ADD");
  EXPECT_NE(second.find(R"("prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"first"}]})"), std::string::npos)
      << second;
  EXPECT_NE(second.find(R"("runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]})"),
            std::string::npos)
      << second;
}

TEST_F(CniRunnerTest, FailedAddIsUndoneAndTheErrorNamesPluginAndMessage) {
  auto result = runner().add(list("second", "ADD"), attachment());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "CNI network \"testnet\" plugin journal (ADD): [code 7] refused: by the test");
  EXPECT_EQ(calls(), (std::vector<std::string>{"00-first-ADD", "01-second-ADD", "02-second-DEL", "03-first-DEL"}));
  EXPECT_FALSE(path_exists(dir_.path() + "/cache/testnet-c1-eth0.json")) << "nothing cached for a failed ADD";
}

TEST_F(CniRunnerTest, DelAfterARestartUsesTheCacheEvenWhenTheConfigurationChanged) {
  ASSERT_TRUE(runner().add(list(), attachment()));
  // A new runner (a restarted daemon) with a changed list: DEL must use what ADD used.
  NetworkConfigList changed = list();
  changed.plugins.pop_back();
  Attachment bare = attachment();
  bare.port_mappings.clear();
  ASSERT_TRUE(runner().del(changed, bare));
  EXPECT_EQ(calls(), (std::vector<std::string>{"00-first-ADD", "01-second-ADD", "02-second-DEL", "03-first-DEL"}));
  const std::string del = call("02-second-DEL");
  EXPECT_NE(del.find(R"("prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"second"}]})"), std::string::npos)
      << del;
  EXPECT_NE(del.find(R"("hostPort":8080)"), std::string::npos) << "the cached port mappings go to DEL: " << del;
  EXPECT_FALSE(path_exists(dir_.path() + "/cache/testnet-c1-eth0.json"));
  ASSERT_TRUE(runner().del(list(), attachment())) << "a second DEL is fine";
}

TEST_F(CniRunnerTest, CheckNeedsAnAttachmentAndSendsItsResult) {
  auto missing = runner().check(list(), attachment());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("c1 is not attached"), std::string::npos);
  ASSERT_TRUE(runner().add(list(), attachment()));
  ASSERT_TRUE(runner().check(list(), attachment()));
  EXPECT_NE(call("02-first-CHECK").find(R"("prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"second"}]})"),
            std::string::npos);
}

TEST_F(CniRunnerTest, MissingPluginAndVersionsAreReported) {
  auto missing = runner().versions("no-such-plugin");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "CNI plugin \"no-such-plugin\" not found in " + dir_.path() + "/missing:" + plugins_);
  auto versions = runner().versions("journal");
  ASSERT_TRUE(versions) << versions.error().message();
  EXPECT_EQ(*versions, (std::vector<std::string>{"0.4.0", "1.0.0"}));
}

}  // namespace
}  // namespace berth::cni
