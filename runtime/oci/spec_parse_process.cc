// config.json "process" (and exec's process.json): what runs in the container and with
// which user, capabilities, limits and scheduling. Names (RLIMIT_*, CAP_*, SCHED_*) are
// checked here so that runtime/linux never meets one it cannot apply.
#include <sys/capability.h>
#include <sys/resource.h>

#include <array>
#include <bitset>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "common/strings.h"
#include "runtime/oci/spec.h"
#include "runtime/oci/spec_parse_internal.h"

namespace berth::oci::detail {
namespace {

struct NamedLimit {
  std::string_view name;
  int resource;
};

constexpr std::array<NamedLimit, 16> kRlimits{{
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
}};

constexpr std::array<std::string_view, 3> kIoPriorityClasses{"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"};
constexpr std::array<std::string_view, 7> kSchedulerPolicies{
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"};
constexpr std::array<std::string_view, 7> kSchedulerFlags{
    "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",        "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
    "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX"};

Status parse_user(const JsonNode& process, User& user) {
  auto node = process.field("user");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  BERTH_TRY(read_field(*node, "uid", user.uid));
  BERTH_TRY(read_field(*node, "gid", user.gid));
  BERTH_TRY(read_field(*node, "umask", user.umask));
  BERTH_TRY(
      read_each(*node, "additionalGids", user.additional_gids, [](const JsonNode& item) { return item.as_uint32(); }));
  return read_field(*node, "username", user.username);
}

Status parse_console_size(const JsonNode& process, Process& out) {
  auto node = process.field("consoleSize");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  ConsoleSize& size = out.console_size.emplace();
  BERTH_TRY(read_required(*node, "height", size.height));
  return read_required(*node, "width", size.width);
}

Status parse_env(const JsonNode& process, Process& out) {
  return read_each(process, "env", out.env, [](const JsonNode& item) -> Result<std::string> {
    BERTH_ASSIGN(std::string entry, item.as_string());
    if (entry.find('=') == std::string::npos) return item.error("must be KEY=VALUE, not " + quoted(entry));
    return entry;
  });
}

Status parse_args_env_cwd(const JsonNode& process, Process& out) {
  BERTH_TRY(read_field(process, "args", out.args));
  BERTH_TRY(read_field(process, "commandLine", out.command_line));
  // execve needs at least the program: an absent list is as empty as [].
  if (out.args.empty()) return field_error(process, "args", "must not be empty");
  BERTH_TRY(parse_env(process, out));
  if (auto cwd = process.field("cwd")) {
    BERTH_ASSIGN(out.cwd, cwd->as_string());
    BERTH_TRY(expect_absolute(*cwd, out.cwd));
  }
  return ok();
}

Status parse_capability_set(const JsonNode& caps, std::string_view key, std::vector<std::string>& out) {
  return read_each(caps, key, out, [](const JsonNode& item) -> Result<std::string> {
    BERTH_ASSIGN(std::string name, item.as_string());
    if (capability_from_name(name) < 0) return item.error("unknown capability " + quoted(name));
    return name;
  });
}

Status parse_capabilities(const JsonNode& process, Process& out) {
  auto node = process.field("capabilities");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  Capabilities& caps = out.capabilities.emplace();
  BERTH_TRY(parse_capability_set(*node, "bounding", caps.bounding));
  BERTH_TRY(parse_capability_set(*node, "effective", caps.effective));
  BERTH_TRY(parse_capability_set(*node, "inheritable", caps.inheritable));
  BERTH_TRY(parse_capability_set(*node, "permitted", caps.permitted));
  return parse_capability_set(*node, "ambient", caps.ambient);
}

Result<Rlimit> parse_rlimit(const JsonNode& node) {
  BERTH_TRY(expect_object(node));
  Rlimit limit;
  BERTH_TRY(read_required(node, "type", limit.type));
  limit.resource = rlimit_from_name(limit.type);
  if (limit.resource < 0) return node.field("type")->error("unknown rlimit " + quoted(limit.type));
  BERTH_TRY(read_required(node, "hard", limit.hard));
  BERTH_TRY(read_required(node, "soft", limit.soft));
  if (limit.soft > limit.hard) {
    return node.error("soft limit " + std::to_string(limit.soft) + " exceeds hard limit " + std::to_string(limit.hard));
  }
  return limit;
}

Status parse_rlimits(const JsonNode& process, Process& out) {
  // setrlimit takes one value per resource: a second entry would silently win.
  std::bitset<RLIM_NLIMITS> seen;
  return read_each(process, "rlimits", out.rlimits, [&seen](const JsonNode& item) -> Result<Rlimit> {
    BERTH_ASSIGN(Rlimit limit, parse_rlimit(item));
    if (seen.test(static_cast<size_t>(limit.resource))) {
      return item.field("type")->error("duplicate " + quoted(limit.type));
    }
    seen.set(static_cast<size_t>(limit.resource));
    return limit;
  });
}

Status parse_io_priority(const JsonNode& process, Process& out) {
  auto node = process.field("ioPriority");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  IoPriority& prio = out.io_priority.emplace();
  BERTH_TRY(read_required(*node, "class", prio.io_class));
  if (!one_of(kIoPriorityClasses, prio.io_class)) {
    return node->field("class")->error("unknown class " + quoted(prio.io_class));
  }
  BERTH_TRY(read_field(*node, "priority", prio.priority));
  if (prio.priority < 0 || prio.priority > 7) return node->field("priority")->error("must be between 0 and 7");
  return ok();
}

Status parse_scheduler(const JsonNode& process, Process& out) {
  auto node = process.field("scheduler");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  Scheduler& sched = out.scheduler.emplace();
  BERTH_TRY(read_required(*node, "policy", sched.policy));
  if (!one_of(kSchedulerPolicies, sched.policy)) {
    return node->field("policy")->error("unknown policy " + quoted(sched.policy));
  }
  BERTH_TRY(read_field(*node, "nice", sched.nice));
  BERTH_TRY(read_field(*node, "priority", sched.priority));
  BERTH_TRY(read_names(*node, "flags", kSchedulerFlags, "flag", sched.flags));
  BERTH_TRY(read_field(*node, "runtime", sched.runtime));
  BERTH_TRY(read_field(*node, "deadline", sched.deadline));
  return read_field(*node, "period", sched.period);
}

// "0-3,7" → 0 1 2 3 7, the kernel's cpu list format (cpuset.cpus, taskset -c).
bool parse_cpu_list(std::string_view text, std::vector<uint32_t>& out) {
  for (std::string_view rest = text; !rest.empty();) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty()) return false;
    size_t dash = item.find('-');
    auto first = parse_uint(item.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parse_uint(item.substr(dash + 1));
    if (!first || !last || *first > *last || *last >= (1U << 16)) return false;
    for (uint64_t cpu = *first; cpu <= *last; ++cpu) out.push_back(static_cast<uint32_t>(cpu));
  }
  return true;
}

Status parse_exec_cpu_affinity(const JsonNode& process, Process& out) {
  auto node = process.field("execCPUAffinity");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  auto initial = node->field("initial");
  if (!initial) return ok();
  BERTH_ASSIGN(std::string text, initial->as_string());
  if (!parse_cpu_list(text, out.exec_cpu_affinity_initial)) {
    return initial->error("invalid CPU list " + quoted(text));
  }
  return ok();
}

Status parse_security(const JsonNode& process, Process& out) {
  BERTH_TRY(read_field(process, "noNewPrivileges", out.no_new_privileges));
  BERTH_TRY(read_field(process, "apparmorProfile", out.apparmor_profile));
  BERTH_TRY(read_field(process, "selinuxLabel", out.selinux_label));
  if (auto adj = process.field("oomScoreAdj")) {
    BERTH_ASSIGN(int32_t value, adj->as_int32());
    if (value < -1000 || value > 1000) return adj->error("must be between -1000 and 1000");
    out.oom_score_adj = value;
  }
  return ok();
}

}  // namespace

Result<Process> parse_process_object(const JsonNode& node) {
  BERTH_TRY(expect_object(node));
  Process out;
  BERTH_TRY(read_field(node, "terminal", out.terminal));
  BERTH_TRY(parse_console_size(node, out));
  BERTH_TRY(parse_user(node, out.user));
  BERTH_TRY(parse_args_env_cwd(node, out));
  BERTH_TRY(parse_capabilities(node, out));
  BERTH_TRY(parse_rlimits(node, out));
  BERTH_TRY(parse_security(node, out));
  BERTH_TRY(parse_io_priority(node, out));
  BERTH_TRY(parse_scheduler(node, out));
  BERTH_TRY(parse_exec_cpu_affinity(node, out));
  return out;
}

}  // namespace berth::oci::detail

namespace berth::oci {

int rlimit_from_name(std::string_view name) {
  for (const auto& limit : detail::kRlimits) {
    if (limit.name == name) return limit.resource;
  }
  return -1;
}

// libcap matches names case-insensitively and also takes bare numbers; config.json names
// are the upper-case CAP_* spellings only (as runc requires), so those are checked first.
int capability_from_name(std::string_view name) {
  constexpr std::string_view kPrefix = "CAP_";
  char buf[64];
  if (name.size() <= kPrefix.size() || name.size() >= sizeof buf || name.substr(0, 4) != kPrefix) return -1;
  for (char c : name.substr(kPrefix.size())) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return -1;
  }
  std::memcpy(buf, name.data(), name.size());
  buf[name.size()] = '\0';
  cap_value_t value = -1;
  if (cap_from_name(buf, &value) != 0) return -1;
  return value;
}

std::vector<std::string> all_capability_names() {
  std::vector<std::string> out;
  unsigned bits = cap_max_bits();
  out.reserve(bits);
  for (unsigned i = 0; i < bits; ++i) {
    char* raw = cap_to_name(static_cast<cap_value_t>(i));
    if (raw == nullptr) continue;
    std::string name(raw);
    cap_free(raw);
    // libcap spells capabilities it has no name for as a number; config.json cannot.
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) continue;
    for (char& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    out.push_back(std::move(name));
  }
  return out;
}

}  // namespace berth::oci
