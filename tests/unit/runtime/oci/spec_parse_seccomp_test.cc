#include <gtest/gtest.h>

#include <string>

#include "runtime/oci/spec.h"
#include "tests/unit/runtime/oci/spec_parse_test_util.h"

namespace berth::oci {
namespace {

using spec_test::spec_error;
using spec_test::with_linux;

// A profile shaped like the tail of moby's default one, plus a notifying rule.
constexpr std::string_view kProfile = R"json({"seccomp": {
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
  "listenerPath": "/run/seccomp-agent.sock",
  "listenerMetadata": "pod=web",
  "syscalls": [
    {"names": ["accept", "accept4", "read", "write"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 131080, "op": "SCMP_CMP_EQ"}]},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["mount"], "action": "SCMP_ACT_NOTIFY"},
    {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
  ]
}})json";

std::string with_seccomp(std::string_view seccomp) {
  return with_linux(R"({"seccomp": )" + std::string(seccomp) + "}");
}

TEST(SeccompParse, ProfileIsReadRuleByRule) {
  auto spec = parse_spec(with_linux(kProfile));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  const Seccomp& s = *spec->linux->seccomp;
  EXPECT_EQ(s.default_action, SeccompAction::kErrno);
  EXPECT_EQ(s.default_errno_ret, 1u);
  EXPECT_EQ(s.architectures.size(), 3u);
  EXPECT_EQ(s.flags, std::vector<std::string>{"SECCOMP_FILTER_FLAG_SPEC_ALLOW"});
  EXPECT_EQ(s.listener_path, "/run/seccomp-agent.sock");
  EXPECT_EQ(s.listener_metadata, "pod=web");
  ASSERT_EQ(s.syscalls.size(), 5u);
  EXPECT_EQ(s.syscalls[0].names.size(), 4u);
  EXPECT_EQ(s.syscalls[0].action, SeccompAction::kAllow);
  EXPECT_FALSE(s.syscalls[0].errno_ret.has_value());
  EXPECT_EQ(s.syscalls[1].args[0].value, 131080u);
  EXPECT_EQ(s.syscalls[1].args[0].op, "SCMP_CMP_EQ");
  EXPECT_EQ(s.syscalls[2].args[0].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(s.syscalls[3].action, SeccompAction::kNotify);
  EXPECT_EQ(s.syscalls[4].errno_ret, 38u);
}

TEST(SeccompParse, EveryActionNameIsKnown) {
  const std::pair<const char*, SeccompAction> actions[] = {
      {"SCMP_ACT_KILL", SeccompAction::kKill},
      {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess},
      {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
      {"SCMP_ACT_TRAP", SeccompAction::kTrap},
      {"SCMP_ACT_ERRNO", SeccompAction::kErrno},
      {"SCMP_ACT_TRACE", SeccompAction::kTrace},
      {"SCMP_ACT_ALLOW", SeccompAction::kAllow},
      {"SCMP_ACT_LOG", SeccompAction::kLog},
  };
  for (const auto& [name, action] : actions) {
    auto spec = parse_spec(with_seccomp(std::string(R"({"defaultAction": ")") + name + "\"}"));
    ASSERT_TRUE(spec.ok()) << name << ": " << spec.error().message();
    EXPECT_EQ(spec->linux->seccomp->default_action, action) << name;
  }
}

TEST(SeccompParse, UnknownActionIsRefusedWithItsPath) {
  EXPECT_EQ(spec_error(with_seccomp(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["write"], "action": "SCMP_ACT_FOO"}]})")),
            "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
  EXPECT_EQ(spec_error(with_seccomp(R"({"defaultAction": "allow"})")),
            "linux.seccomp.defaultAction: unknown action \"allow\"");
  EXPECT_EQ(spec_error(with_seccomp(R"({"syscalls": []})")), "linux.seccomp.defaultAction: required");
}

TEST(SeccompParse, NotifyNeedsAListenerAndIsNoDefault) {
  EXPECT_EQ(spec_error(with_seccomp(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}]})")),
            "linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
  EXPECT_EQ(spec_error(with_seccomp(R"({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/a.sock"})")),
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
}

TEST(SeccompParse, BadRulesAreRefused) {
  EXPECT_EQ(spec_error(with_seccomp(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]})")),
            "linux.seccomp.syscalls[0].names: must not be empty");
  EXPECT_EQ(spec_error(with_seccomp(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
      "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})")),
            "linux.seccomp.syscalls[0].args[0].index: must be below 6");
  EXPECT_EQ(spec_error(with_seccomp(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
      "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]})")),
            "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_LIKE\"");
  EXPECT_EQ(spec_error(with_seccomp(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG",
      "SECCOMP_FILTER_FLAG_FAST"]})")),
            "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
}

}  // namespace
}  // namespace berth::oci
