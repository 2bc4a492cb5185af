#include "runtime/oci/default_spec.h"

#include <unistd.h>

#include <array>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/oci/default_seccomp.h"
#include "runtime/oci/pretty_json.h"
#include "runtime/oci/seccomp_names.h"
#include "runtime/oci/spec.h"

namespace berth::oci {
namespace {

// Docker's default capability set, in docker's order.
constexpr std::array<std::string_view, 14> kDefaultCapabilities = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

constexpr std::array<std::string_view, 11> kMaskedPaths = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};

constexpr std::array<std::string_view, 5> kReadonlyPaths = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

struct MountEntry {
  std::string_view destination, type, source;
  std::vector<std::string_view> options;
};

std::vector<MountEntry> default_mounts() {
  return {
      {"/proc", "proc", "proc", {}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
  };
}

// An unprivileged user may not mount sysfs outside its own network namespace, and has
// only its own uid and gid mapped, so uid=/gid= options would name unmapped ids.
std::vector<MountEntry> rootless_mounts() {
  std::vector<MountEntry> mounts = default_mounts();
  for (MountEntry& m : mounts) {
    if (m.destination == "/sys") {
      m = {"/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}};
      continue;
    }
    std::erase_if(m.options, [](std::string_view o) { return o.starts_with("uid=") || o.starts_with("gid="); });
  }
  return mounts;
}

void write_process(PrettyJson& j) {
  auto& w = j.writer();
  j.key("process");
  w.StartObject();
  j.bool_field("terminal", true);
  j.key("user");
  w.StartObject();
  j.uint_field("uid", 0);
  j.uint_field("gid", 0);
  w.EndObject();
  j.string_field("args", std::array<std::string_view, 1>{"sh"});
  j.string_field("env", std::array<std::string_view, 2>{
                            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"});
  j.field("cwd", "/");
  j.key("capabilities");
  w.StartObject();
  for (std::string_view set : {"bounding", "effective", "permitted"}) j.string_field(set, kDefaultCapabilities);
  w.EndObject();
  j.key("rlimits");
  w.StartArray();
  w.StartObject();
  j.field("type", "RLIMIT_NOFILE");
  j.uint_field("hard", 1024);
  j.uint_field("soft", 1024);
  w.EndObject();
  w.EndArray();
  j.bool_field("noNewPrivileges", true);
  w.EndObject();
}

void write_mounts(PrettyJson& j, const std::vector<MountEntry>& mounts) {
  auto& w = j.writer();
  j.key("mounts");
  w.StartArray();
  for (const MountEntry& m : mounts) {
    w.StartObject();
    j.field("destination", m.destination);
    j.field("type", m.type);
    j.field("source", m.source);
    if (!m.options.empty()) j.string_field("options", m.options);
    w.EndObject();
  }
  w.EndArray();
}

void write_seccomp_arg(PrettyJson& j, const SeccompArg& arg) {
  j.writer().StartObject();
  j.uint_field("index", arg.index);
  j.uint_field("value", arg.value);
  if (arg.value_two != 0) j.uint_field("valueTwo", arg.value_two);
  j.field("op", arg.op);
  j.writer().EndObject();
}

void write_seccomp_syscall(PrettyJson& j, const SeccompSyscall& rule) {
  auto& w = j.writer();
  w.StartObject();
  j.string_field("names", rule.names);
  j.field("action", seccomp_action_name(rule.action));
  if (rule.errno_ret) j.uint_field("errnoRet", *rule.errno_ret);
  if (!rule.args.empty()) {
    j.key("args");
    w.StartArray();
    for (const SeccompArg& arg : rule.args) write_seccomp_arg(j, arg);
    w.EndArray();
  }
  w.EndObject();
}

void write_seccomp(PrettyJson& j, const Seccomp& seccomp) {
  auto& w = j.writer();
  j.key("seccomp");
  w.StartObject();
  j.field("defaultAction", seccomp_action_name(seccomp.default_action));
  if (seccomp.default_errno_ret) j.uint_field("defaultErrnoRet", *seccomp.default_errno_ret);
  j.string_field("architectures", seccomp.architectures);
  if (!seccomp.flags.empty()) j.string_field("flags", seccomp.flags);
  if (!seccomp.listener_path.empty()) j.field("listenerPath", seccomp.listener_path);
  if (!seccomp.listener_metadata.empty()) j.field("listenerMetadata", seccomp.listener_metadata);
  j.key("syscalls");
  w.StartArray();
  for (const SeccompSyscall& rule : seccomp.syscalls) write_seccomp_syscall(j, rule);
  w.EndArray();
  w.EndObject();
}

void write_id_mapping(PrettyJson& j, std::string_view key, uint32_t host_id) {
  auto& w = j.writer();
  j.key(key);
  w.StartArray();
  w.StartObject();
  j.uint_field("containerID", 0);
  j.uint_field("hostID", host_id);
  j.uint_field("size", 1);
  w.EndObject();
  w.EndArray();
}

// Every device denied but the standard ones and linux.devices (which the runtime always
// allows), as runc's spec does. Rootless leaves it out: the user has no device cgroup.
void write_deny_all_devices(PrettyJson& j) {
  auto& w = j.writer();
  j.key("resources");
  w.StartObject();
  j.key("devices");
  w.StartArray();
  w.StartObject();
  j.bool_field("allow", false);
  j.field("access", "rwm");
  w.EndObject();
  w.EndArray();
  w.EndObject();
}

// Rootless drops the network namespace (an unprivileged user cannot give it a link)
// and the cgroup namespace (the user does not own a cgroup to root it at).
void write_namespaces(PrettyJson& j, bool rootless) {
  static constexpr std::string_view kRootful[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};
  static constexpr std::string_view kRootless[] = {"pid", "ipc", "uts", "mount", "user"};
  auto& w = j.writer();
  j.key("namespaces");
  w.StartArray();
  for (std::string_view type : rootless ? std::span<const std::string_view>(kRootless) : kRootful) {
    w.StartObject();
    j.field("type", type);
    w.EndObject();
  }
  w.EndArray();
}

void write_linux(PrettyJson& j, bool rootless) {
  auto& w = j.writer();
  j.key("linux");
  w.StartObject();
  if (rootless) {
    write_id_mapping(j, "uidMappings", geteuid());
    write_id_mapping(j, "gidMappings", getegid());
  }
  if (!rootless) write_deny_all_devices(j);
  write_namespaces(j, rootless);
  write_seccomp(j, default_seccomp_profile());
  j.string_field("maskedPaths", kMaskedPaths);
  j.string_field("readonlyPaths", kReadonlyPaths);
  w.EndObject();
}

}  // namespace

std::string default_spec_json(bool rootless) {
  PrettyJson j;
  auto& w = j.writer();
  w.StartObject();
  j.field("ociVersion", kOciVersion);
  write_process(j);
  j.key("root");
  w.StartObject();
  j.field("path", "rootfs");
  j.bool_field("readonly", true);
  w.EndObject();
  j.field("hostname", "berth");
  write_mounts(j, rootless ? rootless_mounts() : default_mounts());
  write_linux(j, rootless);
  w.EndObject();
  return j.text();
}

}  // namespace berth::oci
