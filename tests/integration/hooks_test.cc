// OCI hooks: every kind runs at its moment with the state on stdin, its args and env; a
// failing or hanging hook fails the create and leaves nothing behind.
// Runs real busybox containers: needs root.
#include <rapidjson/document.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/cgroups.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

using namespace std::chrono_literals;

struct HookSpec {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  int timeout = 0;
};

// Appends a hook to hooks.<kind>.
void add_hook(BundleFixture& fx, const std::string& kind, const HookSpec& h) {
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  if (!config.HasMember("hooks")) config.AddMember("hooks", rapidjson::Value(rapidjson::kObjectType), a);
  auto& hooks = config["hooks"];
  if (!hooks.HasMember(kind.c_str())) {
    hooks.AddMember(rapidjson::Value(kind.c_str(), a), rapidjson::Value(rapidjson::kArrayType), a);
  }
  rapidjson::Value hook(rapidjson::kObjectType);
  hook.AddMember("path", rapidjson::Value(h.path.c_str(), a), a);
  if (!h.args.empty()) hook.AddMember("args", string_array(h.args, a), a);
  if (!h.env.empty()) hook.AddMember("env", string_array(h.env, a), a);
  if (h.timeout > 0) hook.AddMember("timeout", h.timeout, a);
  hooks[kind.c_str()].PushBack(hook, a);
}

// A host script that appends "<$1>|<$2>|<$HOOK_ENV>|<stdin>" as one line to `log`.
std::string write_logging_hook(const BundleFixture& fx, const std::string& log) {
  std::string path = fx.dir() + "/log-hook.sh";
  std::string script = R"(#!/bin/sh
state=$(cat)
printf '%s|%s|%s|%s\n' "$1" "$2" "$HOOK_ENV" "$state" >> ')";
  script.append(log).append("'\n");
  EXPECT_TRUE(write_file(path, script, 0755).ok());
  return path;
}

struct LoggedHook {
  std::string kind, arg2, env;
  rapidjson::Document state;
};

std::vector<LoggedHook> read_hook_log(const std::string& log) {
  std::vector<LoggedHook> out;
  auto text = read_file(log);
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    if (line.empty()) continue;
    auto parts = split(line, '|');
    if (parts.size() < 4) continue;
    LoggedHook h;
    h.kind = parts[0];
    h.arg2 = parts[1];
    h.env = parts[2];
    std::string json = line.substr(parts[0].size() + parts[1].size() + parts[2].size() + 3);
    h.state.Parse(json.c_str());
    out.push_back(std::move(h));
  }
  return out;
}

class Hooks : public ::testing::Test {
 protected:
  void SetUp() override { skip_unless_root(); }
};

TEST_F(Hooks, EveryHookKindRunsInOrderWithTheState) {
  BundleFixture fx({.args = {"sh", "-c", "[ -e /shared/startContainer.json ] && echo start-hook-ran-first"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string shared = fx.dir() + "/shared";
  ASSERT_TRUE(mkdir_p(shared).ok());
  add_bind_mount(fx, shared, "/shared");
  const std::string log = fx.dir() + "/hooks.log";
  const std::string hook = write_logging_hook(fx, log);
  for (const char* kind : {"prestart", "createRuntime", "createContainer", "poststart", "poststop"}) {
    add_hook(fx, kind,
             {hook,
              {hook, kind, "arg-of-" + std::string(kind)},
              {"PATH=/usr/bin:/bin", "HOOK_ENV=env-" + std::string(kind)}});
  }
  // startContainer runs in the container: its path is the container's /bin/sh.
  add_hook(fx, "startContainer",
           {"/bin/sh",
            {"sh", "-c", "cat > /shared/startContainer.json; echo \"$1|$HOOK_ENV\" > /shared/startContainer.args", "sh",
             "start-arg"},
            {"PATH=/bin:/usr/bin", "HOOK_ENV=env-startContainer"}});
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "start-hook-ran-first\n") << "startContainer did not run before the user process";

  auto logged = read_hook_log(log);
  std::vector<std::string> kinds;
  kinds.reserve(logged.size());
  for (const auto& h : logged) kinds.push_back(h.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"prestart", "createRuntime", "createContainer", "poststart", "poststop"}));
  for (const auto& h : logged) {
    SCOPED_TRACE(h.kind);
    EXPECT_EQ(h.arg2, "arg-of-" + h.kind) << "hook args not passed";
    EXPECT_EQ(h.env, "env-" + h.kind) << "hook env not passed";
    ASSERT_FALSE(h.state.HasParseError()) << "stdin is not the state JSON";
    ASSERT_TRUE(h.state.IsObject());
    for (const char* key : {"ociVersion", "id", "status", "pid", "bundle"}) {
      ASSERT_TRUE(h.state.HasMember(key)) << key;
    }
    EXPECT_EQ(h.state["id"].GetString(), id);
    EXPECT_EQ(h.state["bundle"].GetString(), fx.bundle());
    std::string status = h.state["status"].GetString();
    if (h.kind == "poststart") {
      EXPECT_EQ(status, "running");
    } else if (h.kind == "poststop") {
      EXPECT_EQ(status, "stopped");
    } else {
      EXPECT_TRUE(status == "creating" || status == "created") << status;
      EXPECT_GT(h.state["pid"].GetInt(), 0);
    }
  }

  auto start_state = read_file(shared + "/startContainer.json");
  ASSERT_TRUE(start_state.ok()) << "the startContainer hook did not run";
  rapidjson::Document d;
  d.Parse(start_state->c_str());
  ASSERT_FALSE(d.HasParseError()) << *start_state;
  ASSERT_TRUE(d.IsObject() && d.HasMember("id") && d.HasMember("pid")) << *start_state;
  EXPECT_EQ(d["id"].GetString(), id);
  EXPECT_GT(d["pid"].GetInt(), 0);
  EXPECT_EQ(read_file(shared + "/startContainer.args").value(), "start-arg|env-startContainer\n");
}

TEST_F(Hooks, PrestartHookSeesTheInitPidOnTheHost) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string out = fx.dir() + "/pid-check";
  // The pid in the state is a host pid whose cgroup is the container's.
  add_hook(fx, "prestart",
           {"/bin/sh",
            {"sh", "-c", R"(pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'); cat /proc/$pid/cgroup > ')" + out + "'"},
            {"PATH=/usr/bin:/bin"}});
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  ASSERT_TRUE(r.ok()) << r;
  auto text = read_file(out);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("/berth/" + id), std::string::npos) << *text;
}

TEST_F(Hooks, FailingPrestartHookFailsCreateAndLeavesNothing) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  add_hook(fx, "prestart", {"/bin/sh", {"sh", "-c", "exit 7"}, {}});
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("prestart hook /bin/sh"), std::string::npos) << r;
  EXPECT_NE(r.err.find("exit status 7"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
  EXPECT_FALSE(path_exists(fx.state_root() + "/" + id)) << "state directory left";
  EXPECT_TRUE(cgroup_dirs_of(id).empty()) << "cgroups left: " << join(cgroup_dirs_of(id), ", ");
  RunResult list = fx.berth_oci({"list", "-q"});
  EXPECT_EQ(trim(list.out), "") << list;
}

TEST_F(Hooks, FailingCreateRuntimeHookFailsCreate) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  add_hook(fx, "createRuntime", {"/bin/sh", {"sh", "-c", "exit 3"}, {}});
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("createRuntime hook"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
  EXPECT_TRUE(cgroup_dirs_of(id).empty());
}

TEST_F(Hooks, FailingCreateContainerHookFailsCreate) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  add_hook(fx, "createContainer", {"/bin/sh", {"sh", "-c", "exit 4"}, {}});
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("createContainer hook"), std::string::npos) << r;
  EXPECT_NE(r.err.find("exit status 4"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
  EXPECT_TRUE(cgroup_dirs_of(id).empty());
}

TEST_F(Hooks, MissingHookBinaryIsAClearError) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  add_hook(fx, "prestart", {"/nonexistent/berth-it-hook", {}, {}});
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("/nonexistent/berth-it-hook"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
}

TEST_F(Hooks, HookTimeoutKillsTheHookAndFailsCreate) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string pid_file = fx.dir() + "/hook.pid";
  add_hook(fx, "prestart",
           {"/bin/sh", {"sh", "-c", "echo $$ > '" + pid_file + "'; exec sleep 30"}, {"PATH=/usr/bin:/bin"}, 1});
  fx.save_config();
  std::string id = fx.new_id();
  auto start = std::chrono::steady_clock::now();
  RunResult r = fx.berth_oci({"create", "--bundle", fx.bundle(), id}, {}, std::chrono::seconds(15));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_LT(took, 5s) << "the hook's 1 s timeout was not enforced";
  EXPECT_NE(r.err.find("prestart hook"), std::string::npos) << r;
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r;
  auto pid = read_file(pid_file);
  ASSERT_TRUE(pid.ok()) << "the hook never ran";
  auto n = parse_uint(trim(*pid));
  ASSERT_TRUE(n.has_value());
  EXPECT_FALSE(process_exists(static_cast<int>(*n))) << "the timed-out hook is still running";
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
  EXPECT_TRUE(cgroup_dirs_of(id).empty());
}

TEST_F(Hooks, PoststopRunsWhenACreatedContainerIsDeleted) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string log = fx.dir() + "/hooks.log";
  const std::string hook = write_logging_hook(fx, log);
  add_hook(fx, "poststop", {hook, {hook, "poststop", "x"}, {"PATH=/usr/bin:/bin", "HOOK_ENV=e"}});
  fx.save_config();
  std::string id = fx.new_id();
  ASSERT_TRUE(fx.berth_oci({"create", "--bundle", fx.bundle(), id}).ok());
  EXPECT_TRUE(read_hook_log(log).empty()) << "poststop ran before delete";
  RunResult r = fx.berth_oci({"delete", "--force", id});
  ASSERT_TRUE(r.ok()) << r;
  auto logged = read_hook_log(log);
  ASSERT_EQ(logged.size(), 1U);
  EXPECT_EQ(logged[0].kind, "poststop");
  ASSERT_TRUE(logged[0].state.IsObject());
  EXPECT_EQ(logged[0].state["id"].GetString(), id);
}

TEST_F(Hooks, FailingPoststartHookOnlyWarns) {
  BundleFixture fx({.args = {"sh", "-c", "echo ran"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  add_hook(fx, "poststart", {"/bin/sh", {"sh", "-c", "exit 5"}, {}});
  fx.save_config();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id()});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "ran\n");
  EXPECT_NE(r.err.find("poststart hook"), std::string::npos) << "no warning for the failed poststart hook\n" << r;
}

}  // namespace
}  // namespace berth::integration
