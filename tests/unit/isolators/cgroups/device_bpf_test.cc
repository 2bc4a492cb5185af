#include "isolators/cgroups/device_bpf.h"

#include <gtest/gtest.h>

#include <vector>

namespace berth::cgroups {
namespace {

DeviceRule rule(bool allow, char type, int64_t major, int64_t minor, const char* access) {
  return DeviceRule{allow, type, major, minor, access};
}

bool is_exit(const bpf_insn& i) { return i.code == (BPF_JMP | BPF_EXIT); }
bool sets_verdict(const bpf_insn& i, int32_t v) {
  return i.code == (BPF_ALU64 | BPF_MOV | BPF_K) && i.dst_reg == 0 && i.imm == v;
}

// Every jump lands inside the program (the verifier refuses otherwise).
void expect_jumps_in_range(const std::vector<bpf_insn>& p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (BPF_CLASS(p[i].code) != BPF_JMP || is_exit(p[i])) continue;
    auto target = static_cast<int64_t>(i) + 1 + p[i].off;
    EXPECT_GT(p[i].off, 0) << i;
    EXPECT_LT(target, static_cast<int64_t>(p.size())) << i;
  }
}

TEST(DeviceBpf, NoRulesDeniesEverything) {
  auto p = device_program({});
  ASSERT_GE(p.size(), 2u);
  EXPECT_TRUE(is_exit(p.back()));
  EXPECT_TRUE(sets_verdict(p[p.size() - 2], 0));
}

TEST(DeviceBpf, RulesEndInDefaultDeny) {
  auto p = device_program({rule(false, 'a', -1, -1, "rwm"), rule(true, 'c', 1, 3, "rwm"), rule(true, 'c', 1, 5, "r")});
  ASSERT_GE(p.size(), 2u);
  EXPECT_TRUE(is_exit(p.back()));
  EXPECT_TRUE(sets_verdict(p[p.size() - 2], 0));
  expect_jumps_in_range(p);
  // The last rule is checked first: its verdict (allow) is the first one set.
  for (const auto& i : p) {
    if (i.code == (BPF_ALU64 | BPF_MOV | BPF_K) && i.dst_reg == 0) {
      EXPECT_EQ(i.imm, 1);
      break;
    }
  }
}

TEST(DeviceBpf, AllowAllRuleShortCircuits) {
  auto alone = device_program({rule(true, 'a', -1, -1, "rwm")});
  auto p = device_program({rule(false, 'c', 1, 5, "rwm"), rule(true, 'a', -1, -1, "rwm")});
  // Nothing before the allow-all in the spec can change its verdict: the program stops there.
  EXPECT_EQ(p.size(), alone.size());
  EXPECT_TRUE(is_exit(p.back()));
  EXPECT_TRUE(sets_verdict(p[p.size() - 2], 1));
  for (size_t i = 0; i + 2 < p.size(); ++i) EXPECT_FALSE(is_exit(p[i])) << i;
}

TEST(DeviceBpf, LaterDenyOverridesEarlierAllowAll) {
  auto p = device_program({rule(true, 'a', -1, -1, "rwm"), rule(false, 'c', 1, 5, "w")});
  ASSERT_GE(p.size(), 2u);
  EXPECT_TRUE(sets_verdict(p[p.size() - 2], 1));
  expect_jumps_in_range(p);
  size_t denies = 0;
  for (const auto& i : p) denies += sets_verdict(i, 0) ? 1 : 0;
  EXPECT_EQ(denies, 1u);
}

}  // namespace
}  // namespace berth::cgroups
