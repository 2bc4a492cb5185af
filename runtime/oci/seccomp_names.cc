#include "runtime/oci/seccomp_names.h"

#include <linux/seccomp.h>
#include <seccomp.h>

#include <array>
#include <cctype>
#include <utility>

// Linux 6.0; older headers lack it.
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace berth::oci {
namespace {

constexpr std::array<std::pair<SeccompAction, std::string_view>, 9> kActions = {{
    {SeccompAction::kKill, "SCMP_ACT_KILL"},
    {SeccompAction::kKillProcess, "SCMP_ACT_KILL_PROCESS"},
    {SeccompAction::kKillThread, "SCMP_ACT_KILL_THREAD"},
    {SeccompAction::kTrap, "SCMP_ACT_TRAP"},
    {SeccompAction::kErrno, "SCMP_ACT_ERRNO"},
    {SeccompAction::kTrace, "SCMP_ACT_TRACE"},
    {SeccompAction::kAllow, "SCMP_ACT_ALLOW"},
    {SeccompAction::kLog, "SCMP_ACT_LOG"},
    {SeccompAction::kNotify, "SCMP_ACT_NOTIFY"},
}};

constexpr std::array<std::string_view, 9> kActionNames = {
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
};

constexpr std::array<std::string_view, 7> kOperatorNames = {
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
};

constexpr std::array<std::pair<std::string_view, uint32_t>, 4> kFlags = {{
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
}};

constexpr std::array<std::string_view, kFlags.size()> flag_names() {
  std::array<std::string_view, kFlags.size()> out{};
  for (size_t i = 0; i < kFlags.size(); ++i) out[i] = kFlags[i].first;
  return out;
}
constexpr auto kFlagNames = flag_names();

// Every architecture some libseccomp release knows; a given build knows a subset.
constexpr std::array<std::string_view, 23> kArchNames = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",     "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",      "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",    "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",     "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",     "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

constexpr std::string_view kArchPrefix = "SCMP_ARCH_";

}  // namespace

std::string_view seccomp_action_name(SeccompAction action) {
  for (const auto& [value, name] : kActions) {
    if (value == action) return name;
  }
  return "SCMP_ACT_KILL";  // unreachable: every enumerator is in the table
}

std::optional<SeccompAction> seccomp_action_from_name(std::string_view name) {
  for (const auto& [value, action_name] : kActions) {
    if (action_name == name) return value;
  }
  return std::nullopt;
}

std::span<const std::string_view> seccomp_action_names() { return kActionNames; }
std::span<const std::string_view> seccomp_operator_names() { return kOperatorNames; }
std::span<const std::string_view> seccomp_known_flag_names() { return kFlagNames; }

std::optional<uint32_t> seccomp_flag_bit(std::string_view name) {
  for (const auto& [flag_name, bit] : kFlags) {
    if (flag_name == name) return bit;
  }
  return std::nullopt;
}

uint32_t seccomp_arch_token(std::string_view oci_name) {
  // libseccomp names architectures as the lower-case tail of the OCI name: "x86_64".
  if (oci_name.substr(0, kArchPrefix.size()) != kArchPrefix) return 0;
  std::string short_name(oci_name.substr(kArchPrefix.size()));
  for (char& c : short_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return seccomp_arch_resolve_name(short_name.c_str());
}

std::vector<std::string> seccomp_known_arch_names() {
  std::vector<std::string> out;
  for (std::string_view name : kArchNames) {
    if (seccomp_arch_token(name) != 0) out.emplace_back(name);
  }
  return out;
}

}  // namespace berth::oci
