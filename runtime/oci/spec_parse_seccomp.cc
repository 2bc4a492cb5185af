// config.json "linux.seccomp": the filter as written, with its action, operator and flag
// names checked against seccomp_names.h, the lists the filter compiler also uses. Syscall
// and architecture names are left to libseccomp when the filter is built, because only
// the running kernel and library know which ones exist.
#include <string>
#include <string_view>
#include <utility>

#include "runtime/oci/seccomp_names.h"
#include "runtime/oci/spec.h"
#include "runtime/oci/spec_parse_internal.h"

namespace berth::oci::detail {
namespace {

// A syscall takes at most six arguments on every architecture.
constexpr uint32_t kMaxSyscallArgs = 6;

Result<SeccompAction> read_action(const JsonNode& obj, std::string_view key) {
  auto node = obj.field(key);
  if (!node) return missing(obj, key);
  BERTH_ASSIGN(std::string name, node->as_string());
  auto action = seccomp_action_from_name(name);
  if (!action) return node->error("unknown action " + quoted(name));
  return *action;
}

Status parse_arg(const JsonNode& node, SeccompArg& arg) {
  BERTH_TRY(read_required(node, "index", arg.index));
  if (arg.index >= kMaxSyscallArgs) return node.field("index")->error("must be below 6");
  BERTH_TRY(read_field(node, "value", arg.value));
  BERTH_TRY(read_field(node, "valueTwo", arg.value_two));
  BERTH_TRY(read_required(node, "op", arg.op));
  if (!one_of(seccomp_operator_names(), arg.op)) {
    return node.field("op")->error("unknown operator " + quoted(arg.op));
  }
  return ok();
}

Status parse_syscall(const JsonNode& node, SeccompSyscall& sc) {
  BERTH_TRY(read_required(node, "names", sc.names));
  if (sc.names.empty()) return node.field("names")->error("must not be empty");
  BERTH_ASSIGN(sc.action, read_action(node, "action"));
  BERTH_TRY(read_field(node, "errnoRet", sc.errno_ret));
  return read_list(node, "args", sc.args, parse_arg);
}

// A notifying filter hands its fd to a listener; without one every such call would hang.
Status check_notify(const JsonNode& node, const Seccomp& out) {
  if (out.default_action == SeccompAction::kNotify) {
    return node.field("defaultAction")->error("SCMP_ACT_NOTIFY cannot be the default action");
  }
  if (!out.listener_path.empty()) return ok();
  for (const auto& sc : out.syscalls) {
    if (sc.action == SeccompAction::kNotify) {
      return field_error(node, "listenerPath", "required with SCMP_ACT_NOTIFY");
    }
  }
  return ok();
}

}  // namespace

Result<Seccomp> parse_seccomp(const JsonNode& node) {
  BERTH_TRY(expect_object(node));
  Seccomp out;
  BERTH_ASSIGN(out.default_action, read_action(node, "defaultAction"));
  BERTH_TRY(read_field(node, "defaultErrnoRet", out.default_errno_ret));
  BERTH_TRY(read_field(node, "architectures", out.architectures));
  BERTH_TRY(read_names(node, "flags", seccomp_known_flag_names(), "flag", out.flags));
  BERTH_TRY(read_field(node, "listenerPath", out.listener_path));
  BERTH_TRY(read_field(node, "listenerMetadata", out.listener_metadata));
  BERTH_TRY(read_list(node, "syscalls", out.syscalls, parse_syscall));
  BERTH_TRY(check_notify(node, out));
  return out;
}

}  // namespace berth::oci::detail
