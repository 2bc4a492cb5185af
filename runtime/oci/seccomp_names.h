// The names runtime-spec gives to seccomp actions, comparison operators, filter flags
// and architectures, shared by the default profile, the features document and the
// compiler in runtime/linux. Pure lookups: nothing here installs a filter.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/oci/spec.h"

namespace berth::oci {

// "SCMP_ACT_ERRNO" for SeccompAction::kErrno, and back.
std::string_view seccomp_action_name(SeccompAction action);
std::optional<SeccompAction> seccomp_action_from_name(std::string_view name);

// Every action, operator ("SCMP_CMP_EQ", ...) and filter flag berth understands.
std::span<const std::string_view> seccomp_action_names();
std::span<const std::string_view> seccomp_operator_names();
std::span<const std::string_view> seccomp_known_flag_names();

// The kernel's SECCOMP_FILTER_FLAG_* bit for a flag name; nullopt for an unknown name.
std::optional<uint32_t> seccomp_flag_bit(std::string_view name);

// libseccomp's SCMP_ARCH_* token for "SCMP_ARCH_X86_64", or 0 when this libseccomp build
// does not know that architecture.
uint32_t seccomp_arch_token(std::string_view oci_name);
// The "SCMP_ARCH_*" names this libseccomp build knows.
std::vector<std::string> seccomp_known_arch_names();

}  // namespace berth::oci
