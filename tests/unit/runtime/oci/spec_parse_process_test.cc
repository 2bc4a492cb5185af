#include <gtest/gtest.h>
#include <sys/resource.h>

#include <string>
#include <vector>

#include "runtime/oci/spec.h"
#include "tests/unit/runtime/oci/spec_parse_test_util.h"

namespace berth::oci {
namespace {

using spec_test::spec_error;
using spec_test::with_process;

TEST(ProcessParse, EmptyArgsIsRefusedWithJsonPath) {
  EXPECT_EQ(spec_error(with_process(R"({"args": []})")), "process.args: must not be empty");
  EXPECT_EQ(spec_error(with_process(R"({"cwd": "/"})")), "process.args: must not be empty");
}

TEST(ProcessParse, NonStringArgIsRefusedAtItsIndex) {
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh", 3]})")), "process.args[1]: must be a string");
}

TEST(ProcessParse, RelativeCwdIsRefused) {
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "cwd": "tmp"})")), "process.cwd: must be an absolute path");
}

TEST(ProcessParse, EnvEntryWithoutEqualsIsRefused) {
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "env": ["A=1", "FOO"]})")),
            "process.env[1]: must be KEY=VALUE, not \"FOO\"");
}

TEST(ProcessParse, UserIdsAndGroupsAreRead) {
  auto spec = parse_spec(
      with_process(R"({"args": ["sh"], "user": {"uid": 1000, "gid": 100, "umask": 18, "additionalGids": [5, 6]}})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->process->user.uid, 1000u);
  EXPECT_EQ(spec->process->user.gid, 100u);
  EXPECT_EQ(spec->process->user.umask, 18u);
  EXPECT_EQ(spec->process->user.additional_gids, (std::vector<uint32_t>{5, 6}));
}

TEST(ProcessParse, NegativeOrOversizedUidIsRefused) {
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "user": {"uid": -1}})")),
            "process.user.uid: must not be negative");
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "user": {"uid": 4294967296}})")),
            "process.user.uid: must be at most 4294967295");
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "user": {"uid": "0"}})")),
            "process.user.uid: must be an integer");
}

TEST(ProcessParse, UnknownCapabilityIsRefused) {
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "capabilities": {"bounding": ["CAP_KILL", "CAP_FOO"]}})")),
            "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\"");
}

TEST(ProcessParse, CapabilityNamesMustBeUpperCaseWithPrefix) {
  EXPECT_NE(spec_error(with_process(R"({"args": ["sh"], "capabilities": {"ambient": ["cap_kill"]}})")), "");
  EXPECT_NE(spec_error(with_process(R"({"args": ["sh"], "capabilities": {"ambient": ["KILL"]}})")), "");
  EXPECT_NE(spec_error(with_process(R"({"args": ["sh"], "capabilities": {"ambient": ["5"]}})")), "");
}

TEST(ProcessParse, UnknownRlimitIsRefused) {
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "rlimits": [{"type": "RLIMIT_FOO", "hard": 1, "soft": 1}]})")),
            "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
}

TEST(ProcessParse, DuplicateRlimitIsRefused) {
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 10, "soft": 10},
      {"type": "RLIMIT_CORE", "hard": 0, "soft": 0},
      {"type": "RLIMIT_NOFILE", "hard": 20, "soft": 20}]})")),
            "process.rlimits[2].type: duplicate \"RLIMIT_NOFILE\"");
}

TEST(ProcessParse, SoftRlimitAboveHardIsRefused) {
  EXPECT_EQ(
      spec_error(with_process(R"({"args": ["sh"], "rlimits": [{"type": "RLIMIT_NPROC", "hard": 5, "soft": 10}]})")),
      "process.rlimits[0]: soft limit 10 exceeds hard limit 5");
}

TEST(ProcessParse, RlimitWithoutHardIsRefused) {
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "rlimits": [{"type": "RLIMIT_NPROC", "soft": 10}]})")),
            "process.rlimits[0].hard: required");
}

TEST(ProcessParse, ProcessExtrasAreRead) {
  auto spec = parse_spec(with_process(R"({"args": ["sh"], "consoleSize": {"height": 24, "width": 80},
      "apparmorProfile": "runc-default", "selinuxLabel": "system_u:system_r:container_t:s0",
      "oomScoreAdj": -500, "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
      "scheduler": {"policy": "SCHED_BATCH", "nice": 5, "flags": ["SCHED_FLAG_RESET_ON_FORK"]},
      "execCPUAffinity": {"initial": "0-2,5", "final": "1"}})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  const Process& p = *spec->process;
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.apparmor_profile, "runc-default");
  EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
  EXPECT_EQ(p.oom_score_adj, -500);
  EXPECT_EQ(p.io_priority->io_class, "IOPRIO_CLASS_BE");
  EXPECT_EQ(p.io_priority->priority, 4);
  EXPECT_EQ(p.scheduler->policy, "SCHED_BATCH");
  EXPECT_EQ(p.scheduler->nice, 5);
  EXPECT_EQ(p.exec_cpu_affinity_initial, (std::vector<uint32_t>{0, 1, 2, 5}));
}

TEST(ProcessParse, BadSchedulingAndPriorityValuesAreRefused) {
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "scheduler": {"policy": "SCHED_FAST"}})")),
            "process.scheduler.policy: unknown policy \"SCHED_FAST\"");
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "scheduler": {"policy": "SCHED_RR", "flags": ["X"]}})")),
            "process.scheduler.flags[0]: unknown flag \"X\"");
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "ioPriority": {"class": "IOPRIO_CLASS_FAST"}})")),
            "process.ioPriority.class: unknown class \"IOPRIO_CLASS_FAST\"");
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "oomScoreAdj": 1001})")),
            "process.oomScoreAdj: must be between -1000 and 1000");
  EXPECT_EQ(spec_error(with_process(R"({"args": ["sh"], "execCPUAffinity": {"initial": "3-1"}})")),
            "process.execCPUAffinity.initial: invalid CPU list \"3-1\"");
  EXPECT_NE(spec_error(with_process(R"({"args": ["sh"], "execCPUAffinity": {"initial": "1,"}})")), "");
}

TEST(ProcessParse, ExecProcessJsonParses) {
  auto process = parse_process(R"({"terminal": false, "user": {"uid": 33, "gid": 33},
      "args": ["/bin/ls", "-l"], "env": ["PATH=/bin"], "cwd": "/var/www",
      "capabilities": {"bounding": ["CAP_CHOWN"]}, "noNewPrivileges": true})");
  ASSERT_TRUE(process.ok()) << process.error().message();
  EXPECT_EQ(process->args, (std::vector<std::string>{"/bin/ls", "-l"}));
  EXPECT_EQ(process->user.uid, 33u);
  EXPECT_EQ(process->cwd, "/var/www");
  EXPECT_TRUE(process->no_new_privileges);
}

TEST(ProcessParse, ExecProcessJsonErrorsNameTheFieldFromItsRoot) {
  auto process = parse_process(R"({"args": [], "cwd": "/"})");
  ASSERT_FALSE(process.ok());
  EXPECT_EQ(process.error().message(), "args: must not be empty");
  auto bad = parse_process("{\"args\": [");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().rfind("process.json: invalid JSON", 0), 0u) << bad.error().message();
}

TEST(ProcessParse, CwdDefaultsToRoot) {
  auto process = parse_process(R"({"args": ["true"]})");
  ASSERT_TRUE(process.ok()) << process.error().message();
  EXPECT_EQ(process->cwd, "/");
}

TEST(ProcessParse, RlimitNamesResolveToTheirResources) {
  EXPECT_EQ(rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(rlimit_from_name("RLIMIT_AS"), RLIMIT_AS);
  EXPECT_EQ(rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  EXPECT_EQ(rlimit_from_name("rlimit_nofile"), -1);
  EXPECT_EQ(rlimit_from_name("NOFILE"), -1);
  EXPECT_EQ(rlimit_from_name(""), -1);
}

TEST(ProcessParse, CapabilityNamesResolveToTheirNumbers) {
  EXPECT_EQ(capability_from_name("CAP_CHOWN"), 0);
  EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(capability_from_name("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(capability_from_name("cap_chown"), -1);
  EXPECT_EQ(capability_from_name("CHOWN"), -1);
  EXPECT_EQ(capability_from_name("CAP_"), -1);
  EXPECT_EQ(capability_from_name("CAP_NOPE"), -1);
  EXPECT_EQ(capability_from_name(std::string(100, 'A')), -1);
}

TEST(ProcessParse, EveryKnownCapabilityNameRoundTrips) {
  auto names = all_capability_names();
  ASSERT_GE(names.size(), 38u);
  EXPECT_EQ(names.front(), "CAP_CHOWN");
  int previous = -1;
  for (const auto& name : names) {
    int value = capability_from_name(name);
    EXPECT_GT(value, previous) << name;
    previous = value;
  }
}

}  // namespace
}  // namespace berth::oci
