// The OCI runtime-spec (1.0 to 1.2, Linux) as plain C++ values: what config.json says,
// after validation. Parsing lives in spec_parse.cc; nothing here touches the kernel.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::oci {

// The runtime-spec version berth-oci writes and reports (state, hooks, default spec).
inline constexpr std::string_view kOciVersion = "1.2.0";

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;  // Windows only in the spec; kept for round trips
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct Rlimit {
  std::string type;   // "RLIMIT_NOFILE"
  int resource = -1;  // the RLIMIT_* value, resolved at parse time
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct IoPriority {
  std::string io_class;  // IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE
  int priority = 0;
};

struct Scheduler {
  std::string policy;  // SCHED_OTHER, ...
  int32_t nice = 0;
  int32_t priority = 0;
  std::vector<std::string> flags;
  uint64_t runtime = 0, deadline = 0, period = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::string command_line;  // Windows only
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int> oom_score_adj;
  std::string selinux_label;
  std::optional<IoPriority> io_priority;
  std::optional<Scheduler> scheduler;
  std::vector<uint32_t> exec_cpu_affinity_initial;  // parsed cpu list, unused for now
};

struct Root {
  std::string path;  // as written (may be relative to the bundle)
  bool readonly = false;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Mount {
  std::string destination;
  std::string type;  // may be empty (bind mounts)
  std::string source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings, gid_mappings;  // idmapped mounts (1.2)
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout_seconds;
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
  [[nodiscard]] bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() && start_container.empty() &&
           poststart.empty() && poststop.empty();
  }
};

struct Namespace {
  std::string type;  // pid, network, mount, ipc, uts, user, cgroup, time
  std::string path;  // join this one when set
};

struct Device {
  std::string path;
  char type = 'c';  // c, b, u, p
  int64_t major = 0, minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid, gid;
};

// linux.resources is kept for the isolators; runtime/linux never reads it.
struct DeviceCgroupRule {
  bool allow = false;
  std::string type;  // a, c, b
  std::optional<int64_t> major, minor;
  std::string access;  // rwm subset
};

struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
};

struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
};

struct Resources {
  std::vector<DeviceCgroupRule> devices;
  struct Memory {
    std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
    std::optional<uint64_t> swappiness;
    std::optional<bool> disable_oom_killer, use_hierarchy, check_before_update;
  };
  std::optional<Memory> memory;
  struct Cpu {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota;
    std::optional<uint64_t> burst, period;
    std::optional<int64_t> realtime_runtime;
    std::optional<uint64_t> realtime_period;
    std::string cpus, mems;
    std::optional<int64_t> idle;
  };
  std::optional<Cpu> cpu;
  struct Pids {
    int64_t limit = 0;
  };
  std::optional<Pids> pids;
  struct BlockIo {
    std::optional<uint16_t> weight, leaf_weight;
    std::vector<WeightDevice> weight_device;
    std::vector<ThrottleDevice> throttle_read_bps, throttle_write_bps, throttle_read_iops, throttle_write_iops;
  };
  std::optional<BlockIo> block_io;
  struct HugepageLimit {
    std::string page_size;
    uint64_t limit = 0;
  };
  std::vector<HugepageLimit> hugepage_limits;
  struct Network {
    std::optional<uint32_t> class_id;
    std::vector<std::pair<std::string, uint32_t>> priorities;
  };
  std::optional<Network> network;
  std::map<std::string, std::string> rdma_raw;  // kept as JSON text per device
  std::map<std::string, std::string> unified;   // cgroup v2 key → value
};

enum class SeccompAction { kKill, kKillProcess, kKillThread, kTrap, kErrno, kTrace, kAllow, kLog, kNotify };

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_EQ, ...
};

struct SeccompSyscall {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::kAllow;
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  SeccompAction default_action = SeccompAction::kAllow;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // SCMP_ARCH_X86_64, ...
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_LOG, ...
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompSyscall> syscalls;
};

struct PersonalityDomain {
  std::string domain;  // LINUX, LINUX32
  std::vector<std::string> flags;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Linux {
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::map<std::string, std::string> sysctl;
  std::optional<Resources> resources;
  std::string cgroups_path;
  std::vector<Namespace> namespaces;
  std::vector<Device> devices;
  std::optional<Seccomp> seccomp;
  std::string rootfs_propagation;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;
  std::optional<PersonalityDomain> personality;
  std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"
  std::string intel_rdt_clos_id;

  [[nodiscard]] const Namespace* find_namespace(const std::string& type) const {
    for (const auto& ns : namespaces) {
      if (ns.type == type) return &ns;
    }
    return nullptr;
  }
};

struct Spec {
  std::string oci_version;
  std::optional<Process> process;
  std::optional<Root> root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;
};

// Parses and validates config.json text. Errors name the JSON path and the problem:
// "process.args: must not be empty". Unknown fields are ignored, as the spec requires.
Result<Spec> parse_spec(std::string_view json);
// Parses a process.json as given to `exec --process`.
Result<Process> parse_process(std::string_view json);
// Parses a linux.resources object on its own, as `update --resources` takes it; errors
// name the field from the object down: "memory.limit: must be an integer".
Result<Resources> parse_resources_json(std::string_view json);
// Reads <bundle>/config.json and parses it.
Result<Spec> load_spec(const std::string& bundle_dir);

// The RLIMIT_* value for a name such as "RLIMIT_NOFILE", or -1.
int rlimit_from_name(std::string_view name);
// The CAP_* number for a name such as "CAP_CHOWN", or -1.
int capability_from_name(std::string_view name);
// Every capability name this kernel/libcap knows, "CAP_CHOWN" first.
std::vector<std::string> all_capability_names();

}  // namespace berth::oci
