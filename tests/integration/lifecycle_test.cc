// The container life cycle through berth-oci as a user drives it: run, create/start, state,
// kill, delete, list, ps, the errors a user meets, and the spec/features/--version commands.
// Runs real busybox containers: needs root.
#include <rapidjson/document.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
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

// A running container whose init sleeps; returns its id ("" on failure, with the failure added).
std::string run_sleeping(BundleFixture& fx) {
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"run", "--detach", "--bundle", fx.bundle(), id});
  if (!r.ok()) {
    ADD_FAILURE() << r;
    return "";
  }
  return id;
}

class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override { skip_unless_root(); }
};

TEST_F(Lifecycle, RunReturnsTheExitCode) {
  BundleFixture fx({.args = {"sh", "-c", "echo out; echo err >&2; exit 3"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id()});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST_F(Lifecycle, RunOfAProcessKilledBySignalReturns128PlusTheSignal) {
  // Without a pid namespace the shell is not an init, so it can signal itself to death.
  BundleFixture fx({.args = {"sh", "-c", "kill -USR1 $$; sleep 5"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  remove_namespace(fx, "pid");
  fx.save_config();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id()});
  EXPECT_EQ(r.exit_code, 128 + SIGUSR1) << r;
}

TEST_F(Lifecycle, RunOfAContainerKilledFromOutsideReturns137) {
  BundleFixture fx({.args = {"sleep", "30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = fx.new_id();
  RunResult run;
  std::thread runner([&] { run = fx.berth_oci({"run", "--bundle", fx.bundle(), id}); });
  bool running = eventually([&] { return status_of(fx, id) == "running"; });
  RunResult killed = fx.berth_oci({"kill", id, "KILL"});
  runner.join();
  ASSERT_TRUE(running) << run;
  EXPECT_TRUE(killed.ok()) << killed;
  EXPECT_EQ(run.exit_code, 128 + SIGKILL) << run;
  // A foreground run deletes its container when the process ends.
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
}

TEST_F(Lifecycle, CreateLeavesTheProcessWaitingUntilStart) {
  BundleFixture fx({.args = {"sh", "-c", "touch /shared/ran; exec sleep 30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string shared = fx.dir() + "/shared";
  ASSERT_TRUE(mkdir_p(shared).ok());
  add_bind_mount(fx, shared, "/shared");
  fx.save_config();
  std::string id = fx.new_id();

  RunResult created = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  ASSERT_TRUE(created.ok()) << created;
  EXPECT_EQ(status_of(fx, id), "created");
  int pid = pid_of(fx, id);
  EXPECT_TRUE(process_exists(pid)) << "the init of a created container must be alive, pid " << pid;
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(path_exists(shared + "/ran")) << "the user process ran before start";

  RunResult started = fx.berth_oci({"start", id});
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_TRUE(eventually([&] { return path_exists(shared + "/ran"); })) << "start did not run the user process";
  EXPECT_EQ(status_of(fx, id), "running");
  EXPECT_EQ(pid_of(fx, id), pid) << "the user process must replace the init, keeping its pid";

  RunResult again = fx.berth_oci({"start", id});
  EXPECT_NE(again.exit_code, 0) << again;
  EXPECT_NE(again.err.find("not created"), std::string::npos) << again;
}

TEST_F(Lifecycle, KillSendsSignalsByNameAndNumber) {
  BundleFixture fx({.args = {"sh", "-c",
                             "trap 'echo usr1 >> /shared/log' USR1; trap 'echo usr2 >> /shared/log' USR2; "
                             "trap 'echo term >> /shared/log; exit 0' TERM; "
                             "touch /shared/ready; while :; do sleep 0.05; done"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string shared = fx.dir() + "/shared";
  ASSERT_TRUE(mkdir_p(shared).ok());
  add_bind_mount(fx, shared, "/shared");
  fx.save_config();
  std::string id = run_sleeping(fx);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(eventually([&] { return path_exists(shared + "/ready"); }));

  auto log_has = [&](const std::string& line) {
    return eventually([&] {
      auto text = read_file(shared + "/log");
      return text && text->find(line + "\n") != std::string::npos;
    });
  };
  RunResult r = fx.berth_oci({"kill", id, "USR1"});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_TRUE(log_has("usr1")) << "kill USR1 did not reach the container";
  r = fx.berth_oci({"kill", id, "SIGUSR2"});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_TRUE(log_has("usr2")) << "kill SIGUSR2 did not reach the container";
  r = fx.berth_oci({"kill", id, "15"});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_TRUE(log_has("term")) << "kill 15 did not reach the container";
  EXPECT_TRUE(eventually([&] { return status_of(fx, id) == "stopped"; }));

  RunResult bad = fx.berth_oci({"kill", id, "NOSUCHSIG"});
  EXPECT_NE(bad.exit_code, 0) << bad;
  EXPECT_NE(bad.err.find("invalid signal"), std::string::npos) << bad;
}

TEST_F(Lifecycle, KillAllSignalsEveryProcessOfTheContainer) {
  // The init has no TERM handler, so a TERM to it alone is ignored (it is a pid namespace
  // init); only the children dying lets `wait` return and the container stop.
  BundleFixture fx({.args = {"sh", "-c", "sleep 100 & sleep 101 & wait"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = run_sleeping(fx);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(eventually([&] {
    RunResult ps = fx.berth_oci({"ps", "--format", "json", id});
    auto d = parse_json(ps.out);
    return ps.ok() && d.IsArray() && d.Size() == 3;
  })) << fx.berth_oci({"ps", "--format", "json", id});

  RunResult r = fx.berth_oci({"kill", "--all", id, "TERM"});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_TRUE(eventually([&] { return status_of(fx, id) == "stopped"; })) << "status " << status_of(fx, id);
}

TEST_F(Lifecycle, StateReportsTheOciFields) {
  BundleFixture fx({.args = {"sleep", "30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = fx.new_id();
  ASSERT_TRUE(fx.berth_oci({"create", "--bundle", fx.bundle(), id}).ok());

  RunResult r = fx.berth_oci({"state", id});
  ASSERT_TRUE(r.ok()) << r;
  auto d = parse_json(r.out);
  ASSERT_FALSE(d.HasParseError()) << r.out;
  ASSERT_TRUE(d.IsObject()) << r.out;
  for (const char* key : {"ociVersion", "id", "status", "pid", "bundle"}) {
    ASSERT_TRUE(d.HasMember(key)) << key << " missing from " << r.out;
  }
  EXPECT_TRUE(starts_with(d["ociVersion"].GetString(), "1.")) << r.out;
  EXPECT_EQ(d["id"].GetString(), id);
  EXPECT_STREQ(d["status"].GetString(), "created");
  EXPECT_GT(d["pid"].GetInt(), 1);
  EXPECT_TRUE(process_exists(d["pid"].GetInt()));
  EXPECT_EQ(d["bundle"].GetString(), fx.bundle());

  RunResult missing = fx.berth_oci({"state", "berth-it-no-such-container"});
  EXPECT_NE(missing.exit_code, 0) << missing;
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing;
}

TEST_F(Lifecycle, DeleteRefusesARunningContainerWithoutForce) {
  BundleFixture fx({.args = {"sleep", "30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = run_sleeping(fx);
  ASSERT_FALSE(id.empty());
  int pid = pid_of(fx, id);
  ASSERT_TRUE(process_exists(pid));

  RunResult refused = fx.berth_oci({"delete", id});
  EXPECT_NE(refused.exit_code, 0) << refused;
  EXPECT_NE(refused.err.find("running"), std::string::npos) << refused;
  EXPECT_EQ(status_of(fx, id), "running");
  EXPECT_TRUE(process_exists(pid));

  RunResult forced = fx.berth_oci({"delete", "--force", id});
  EXPECT_TRUE(forced.ok()) << forced;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
  EXPECT_TRUE(eventually([&] { return !process_exists(pid); })) << "the init survived delete --force";
}

// The runtime spec: deleting a container that is not stopped is an error and changes
// nothing; --force kills it first. (runc deletes a created container without --force.)
TEST_F(Lifecycle, DeleteOfACreatedContainerNeedsForce) {
  BundleFixture fx({.args = {"sleep", "30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = fx.new_id();
  ASSERT_TRUE(fx.berth_oci({"create", "--bundle", fx.bundle(), id}).ok());
  int pid = pid_of(fx, id);
  ASSERT_TRUE(process_exists(pid));

  RunResult refused = fx.berth_oci({"delete", id});
  EXPECT_NE(refused.exit_code, 0) << refused;
  EXPECT_NE(refused.err.find("created"), std::string::npos) << refused;
  EXPECT_EQ(status_of(fx, id), "created");
  EXPECT_TRUE(process_exists(pid));

  RunResult forced = fx.berth_oci({"delete", "--force", id});
  EXPECT_TRUE(forced.ok()) << forced;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
  EXPECT_TRUE(eventually([&] { return !process_exists(pid); }));
  EXPECT_FALSE(path_exists(fx.state_root() + "/" + id));
  EXPECT_TRUE(cgroup_dirs_of(id).empty());
}

TEST_F(Lifecycle, DeleteOfAStoppedContainerNeedsNoForce) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = run_sleeping(fx);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(eventually([&] { return status_of(fx, id) == "stopped"; }));
  RunResult r = fx.berth_oci({"delete", id});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
}

TEST_F(Lifecycle, DeleteKillsProcessesLeftInTheContainersCgroup) {
  // Without a pid namespace the init's children outlive it: the container is stopped,
  // but its cgroup still holds them.
  BundleFixture fx({.args = {"sh", "-c", "sleep 100 & echo $! > /tmp/child.pid"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  remove_namespace(fx, "pid");
  fx.save_config();
  std::string id = run_sleeping(fx);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(eventually([&] { return status_of(fx, id) == "stopped"; }));
  RunResult ps = fx.berth_oci({"ps", "--format", "json", id});
  auto d = parse_json(ps.out);
  ASSERT_TRUE(!d.HasParseError() && d.IsArray() && d.Size() == 1) << ps;
  int child = d[0].GetInt();
  ASSERT_TRUE(process_exists(child));

  RunResult r = fx.berth_oci({"delete", id});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_TRUE(eventually([&] { return !process_exists(child); })) << "the container's leftover process survived delete";
  EXPECT_TRUE(cgroup_dirs_of(id).empty());
}

TEST_F(Lifecycle, PidFileHoldsTheInitPid) {
  BundleFixture fx({.args = {"sleep", "30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = fx.new_id();
  const std::string pid_file = fx.dir() + "/init.pid";
  RunResult r = fx.berth_oci({"create", "--bundle", fx.bundle(), "--pid-file", pid_file, id});
  ASSERT_TRUE(r.ok()) << r;
  auto text = read_file(pid_file);
  ASSERT_TRUE(text.ok()) << text.error().message();
  auto pid = parse_uint(trim(*text));
  ASSERT_TRUE(pid.has_value()) << "pid file holds \"" << *text << "\"";
  EXPECT_EQ(static_cast<int>(*pid), pid_of(fx, id));
  EXPECT_TRUE(process_exists(static_cast<int>(*pid)));
}

TEST_F(Lifecycle, ListShowsContainersAsTableAndJson) {
  BundleFixture fx({.args = {"sleep", "30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string created = fx.new_id();
  ASSERT_TRUE(fx.berth_oci({"create", "--bundle", fx.bundle(), created}).ok());
  std::string running = run_sleeping(fx);
  ASSERT_FALSE(running.empty());

  RunResult table = fx.berth_oci({"list"});
  ASSERT_TRUE(table.ok()) << table;
  auto lines = split(trim(table.out), '\n');
  ASSERT_EQ(lines.size(), 3U) << table.out;
  for (const char* column : {"ID", "PID", "STATUS", "BUNDLE", "CREATED"}) {
    EXPECT_NE(lines[0].find(column), std::string::npos) << "no " << column << " column in\n" << table.out;
  }
  auto line_of = [&](const std::string& id) {
    for (const auto& l : lines) {
      if (starts_with(l, id + " ")) return l;
    }
    return std::string();
  };
  EXPECT_NE(line_of(created).find(" created "), std::string::npos) << table.out;
  EXPECT_NE(line_of(created).find(fx.bundle()), std::string::npos) << table.out;
  EXPECT_NE(line_of(running).find(" running "), std::string::npos) << table.out;
  EXPECT_NE(line_of(running).find(" " + std::to_string(pid_of(fx, running)) + " "), std::string::npos) << table.out;

  RunResult json = fx.berth_oci({"list", "--format", "json"});
  ASSERT_TRUE(json.ok()) << json;
  auto d = parse_json(json.out);
  ASSERT_FALSE(d.HasParseError()) << json.out;
  ASSERT_TRUE(d.IsArray()) << json.out;
  ASSERT_EQ(d.Size(), 2U) << json.out;
  int seen = 0;
  for (const auto& c : d.GetArray()) {
    ASSERT_TRUE(c.HasMember("id") && c.HasMember("status") && c.HasMember("pid") && c.HasMember("bundle")) << json.out;
    std::string id = c["id"].GetString();
    if (id == created) {
      EXPECT_STREQ(c["status"].GetString(), "created");
      ++seen;
    } else if (id == running) {
      EXPECT_STREQ(c["status"].GetString(), "running");
      EXPECT_EQ(c["pid"].GetInt(), pid_of(fx, running));
      ++seen;
    }
    EXPECT_EQ(c["bundle"].GetString(), fx.bundle());
  }
  EXPECT_EQ(seen, 2) << json.out;

  RunResult quiet = fx.berth_oci({"list", "-q"});
  ASSERT_TRUE(quiet.ok()) << quiet;
  auto ids = split(trim(quiet.out), '\n');
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> want = {created, running};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ids, want);
}

TEST_F(Lifecycle, PsListsTheInitPid) {
  BundleFixture fx({.args = {"sleep", "30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = run_sleeping(fx);
  ASSERT_FALSE(id.empty());
  int pid = pid_of(fx, id);

  RunResult json = fx.berth_oci({"ps", "--format", "json", id});
  ASSERT_TRUE(json.ok()) << json;
  auto d = parse_json(json.out);
  ASSERT_TRUE(!d.HasParseError() && d.IsArray()) << json.out;
  ASSERT_EQ(d.Size(), 1U) << json.out;
  EXPECT_EQ(d[0].GetInt(), pid);

  RunResult table = fx.berth_oci({"ps", id});
  ASSERT_TRUE(table.ok()) << table;
  auto lines = split(trim(table.out), '\n');
  ASSERT_EQ(lines.size(), 2U) << table.out;
  EXPECT_NE(lines[0].find("PID"), std::string::npos) << table.out;
  EXPECT_NE(lines[1].find(" " + std::to_string(pid) + " "), std::string::npos) << table.out;
  EXPECT_NE(lines[1].find("sleep 30"), std::string::npos) << table.out;
}

TEST_F(Lifecycle, DuplicateIdIsRefused) {
  BundleFixture fx({.args = {"sleep", "30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = fx.new_id();
  ASSERT_TRUE(fx.berth_oci({"create", "--bundle", fx.bundle(), id}).ok());
  int pid = pid_of(fx, id);

  RunResult again = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
  EXPECT_NE(again.exit_code, 0) << again;
  EXPECT_NE(again.err.find("container \"" + id + "\" already exists"), std::string::npos) << again;
  // The first container is untouched.
  EXPECT_EQ(status_of(fx, id), "created");
  EXPECT_EQ(pid_of(fx, id), pid);
  EXPECT_TRUE(process_exists(pid));
  EXPECT_FALSE(cgroup_dirs_of(id).empty()) << "the refused create removed the first container's cgroup";
}

TEST_F(Lifecycle, InvalidIdIsRefused) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  for (const std::string id : {"../escape", "a/b", ".hidden", "with space"}) {
    RunResult r = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
    EXPECT_NE(r.exit_code, 0) << r;
    EXPECT_NE(r.err.find("container id"), std::string::npos) << r;
  }
  EXPECT_FALSE(path_exists(fx.dir() + "/escape"));
  auto left = list_dir(fx.state_root());
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << "state root holds " << join(*left, ", ");
}

TEST_F(Lifecycle, ConfigErrorNamesTheJsonPath) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  fx.config()["process"]["args"].Clear();
  fx.save_config();
  std::string id = fx.new_id();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("process.args: must not be empty"), std::string::npos) << r;
  EXPECT_FALSE(fx.berth_oci({"state", id}).ok());
  EXPECT_TRUE(cgroup_dirs_of(id).empty());
}

TEST_F(Lifecycle, MalformedConfigIsAClearError) {
  BundleFixture fx({.args = {"true"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  ASSERT_TRUE(write_file(fx.config_path(), "{\"ociVersion\": \"1.2.0\", \"process\": ").ok());
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id()});
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r;
}

TEST_F(Lifecycle, NoCgroupIsLeftAfterDelete) {
  BundleFixture fx({.args = {"sleep", "30"}});
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string id = run_sleeping(fx);
  ASSERT_FALSE(id.empty());
  auto dirs = cgroup_dirs_of(id);
  ASSERT_FALSE(dirs.empty()) << "no cgroup directory berth/" << id << " under /sys/fs/cgroup";
  if (path_exists("/sys/fs/cgroup/memory/cgroup.procs")) {
    EXPECT_TRUE(path_exists("/sys/fs/cgroup/memory/berth/" + id));
  }
  // The init is in them.
  for (const auto& d : dirs) {
    auto procs = read_file(d + "/cgroup.procs");
    ASSERT_TRUE(procs.ok()) << d;
    EXPECT_NE(procs->find(std::to_string(pid_of(fx, id))), std::string::npos) << d << ": " << *procs;
  }

  RunResult r = fx.berth_oci({"delete", "--force", id});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(cgroup_dirs_of(id).empty()) << "left: " << join(cgroup_dirs_of(id), ", ");
}

TEST_F(Lifecycle, VersionNamesTheRuntimeAndSpec) {
  RunResult r = run_cmd({berth_oci_binary(), "--version"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(starts_with(r.out, "berth-oci version ")) << r.out;
  EXPECT_NE(r.out.find("\nspec: 1."), std::string::npos) << r.out;
}

TEST_F(Lifecycle, FeaturesIsAJsonDocument) {
  RunResult r = run_cmd({berth_oci_binary(), "features"});
  ASSERT_TRUE(r.ok()) << r;
  auto d = parse_json(r.out);
  ASSERT_FALSE(d.HasParseError()) << r.out;
  ASSERT_TRUE(d.IsObject());
  ASSERT_TRUE(d.HasMember("ociVersionMin") && d.HasMember("ociVersionMax")) << r.out;
  ASSERT_TRUE(d.HasMember("hooks") && d["hooks"].IsArray()) << r.out;
  std::vector<std::string> hooks;
  for (const auto& h : d["hooks"].GetArray()) hooks.emplace_back(h.GetString());
  for (const char* kind : {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}) {
    EXPECT_NE(std::find(hooks.begin(), hooks.end(), kind), hooks.end()) << kind;
  }
  ASSERT_TRUE(d.HasMember("linux") && d["linux"].IsObject()) << r.out;
  ASSERT_TRUE(d["linux"].HasMember("namespaces")) << r.out;
}

TEST_F(Lifecycle, SpecWritesAConfigThatRunAccepts) {
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  ASSERT_EQ(::unlink(fx.config_path().c_str()), 0);
  RunResult spec = fx.berth_oci({"spec", "--bundle", fx.bundle()});
  ASSERT_TRUE(spec.ok()) << spec;
  ASSERT_TRUE(path_exists(fx.config_path()));

  RunResult refused = fx.berth_oci({"spec", "--bundle", fx.bundle()});
  EXPECT_NE(refused.exit_code, 0) << refused;
  EXPECT_NE(refused.err.find("exists"), std::string::npos) << refused;

  // The default spec wants a terminal; a test has none.
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  config["process"]["terminal"].SetBool(false);
  config["process"]["args"] = string_array({"sh", "-c", "echo spec-ok; hostname"}, a);
  fx.save_config();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id()});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "spec-ok\nberth\n");
}

TEST_F(Lifecycle, UnknownCommandAndFlagAreErrors) {
  RunResult cmd = run_cmd({berth_oci_binary(), "frobnicate"});
  EXPECT_NE(cmd.exit_code, 0) << cmd;
  EXPECT_NE(cmd.err.find("frobnicate"), std::string::npos) << cmd;
  RunResult flag = run_cmd({berth_oci_binary(), "state", "--no-such-flag", "x"});
  EXPECT_NE(flag.exit_code, 0) << flag;
  EXPECT_NE(flag.err.find("no-such-flag"), std::string::npos) << flag;
}

}  // namespace
}  // namespace berth::integration
