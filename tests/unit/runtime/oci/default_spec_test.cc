#include "runtime/oci/default_spec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/json.h"
#include "runtime/oci/default_seccomp.h"
#include "runtime/oci/spec.h"

namespace berth::oci {
namespace {

const std::vector<std::string> kDockerCapabilities = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

Spec parsed(bool rootless) {
  auto spec = parse_spec(default_spec_json(rootless));
  EXPECT_TRUE(spec.ok()) << spec.error().message();
  return spec.ok() ? std::move(spec).value() : Spec{};
}

Seccomp parsed_seccomp() {
  Spec spec = parsed(false);
  EXPECT_TRUE(spec.linux && spec.linux->seccomp);
  if (!spec.linux || !spec.linux->seccomp) return Seccomp{};
  return *spec.linux->seccomp;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> namespace_types(const Spec& spec) {
  std::vector<std::string> out;
  for (const Namespace& ns : spec.linux->namespaces) out.push_back(ns.type);
  return out;
}

const Mount* find_mount(const Spec& spec, const std::string& destination) {
  for (const Mount& m : spec.mounts) {
    if (m.destination == destination) return &m;
  }
  return nullptr;
}

// The names every rule with `action` (and no argument condition) covers.
std::vector<std::string> unconditional_names(const Seccomp& s, SeccompAction action) {
  std::vector<std::string> out;
  for (const SeccompSyscall& rule : s.syscalls) {
    if (rule.action == action && rule.args.empty()) out.insert(out.end(), rule.names.begin(), rule.names.end());
  }
  return out;
}

TEST(DefaultSpec, IsTabIndentedJsonLikeRuncs) {
  std::string text = default_spec_json(false);
  ASSERT_TRUE(JsonDocument::parse(text, "config.json").ok());
  EXPECT_EQ(text.rfind("{\n\t\"ociVersion\": \"1.2.0\",\n\t\"process\": {\n\t\t\"terminal\": true,", 0), 0u)
      << text.substr(0, 200);
}

TEST(DefaultSpec, ProcessIsAnInteractiveShellAsRoot) {
  Spec spec = parsed(false);
  ASSERT_TRUE(spec.process);
  EXPECT_TRUE(spec.process->terminal);
  EXPECT_EQ(spec.process->user.uid, 0u);
  EXPECT_EQ(spec.process->args, std::vector<std::string>{"sh"});
  EXPECT_TRUE(contains(spec.process->env, "TERM=xterm"));
  EXPECT_EQ(spec.process->cwd, "/");
  EXPECT_TRUE(spec.process->no_new_privileges);
  ASSERT_EQ(spec.process->rlimits.size(), 1u);
  EXPECT_EQ(spec.process->rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(spec.process->rlimits[0].hard, 1024u);
  EXPECT_EQ(spec.hostname, "berth");
  ASSERT_TRUE(spec.root);
  EXPECT_EQ(spec.root->path, "rootfs");
  EXPECT_TRUE(spec.root->readonly);
}

TEST(DefaultSpec, HasDockersCapabilitySetButNoInheritableOrAmbient) {
  Spec spec = parsed(false);
  ASSERT_TRUE(spec.process && spec.process->capabilities);
  const Capabilities& caps = *spec.process->capabilities;
  EXPECT_EQ(caps.bounding, kDockerCapabilities);
  EXPECT_EQ(caps.effective, kDockerCapabilities);
  EXPECT_EQ(caps.permitted, kDockerCapabilities);
  EXPECT_TRUE(caps.inheritable.empty());
  EXPECT_TRUE(caps.ambient.empty());
}

TEST(DefaultSpec, MasksAndWriteProtectsDockersProcAndSysPaths) {
  Spec spec = parsed(false);
  ASSERT_TRUE(spec.linux);
  for (const char* path : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/scsi",
                           "/sys/firmware", "/sys/devices/virtual/powercap"}) {
    EXPECT_TRUE(contains(spec.linux->masked_paths, path)) << path;
  }
  EXPECT_EQ(spec.linux->masked_paths.size(), 11u);
  EXPECT_EQ(spec.linux->readonly_paths,
            (std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
}

TEST(DefaultSpec, MountsMatchRuncs) {
  Spec spec = parsed(false);
  ASSERT_EQ(spec.mounts.size(), 7u);
  const Mount* pts = find_mount(spec, "/dev/pts");
  ASSERT_NE(pts, nullptr);
  EXPECT_EQ(pts->type, "devpts");
  EXPECT_TRUE(contains(pts->options, "gid=5"));
  const Mount* sys = find_mount(spec, "/sys");
  ASSERT_NE(sys, nullptr);
  EXPECT_EQ(sys->type, "sysfs");
  EXPECT_TRUE(contains(sys->options, "ro"));
  const Mount* cgroup = find_mount(spec, "/sys/fs/cgroup");
  ASSERT_NE(cgroup, nullptr);
  EXPECT_EQ(cgroup->type, "cgroup");
  EXPECT_EQ(namespace_types(spec), (std::vector<std::string>{"pid", "network", "ipc", "uts", "mount", "cgroup"}));
  EXPECT_TRUE(spec.linux->uid_mappings.empty());
}

TEST(DefaultSpec, SeccompDeniesWithEpermByDefault) {
  Seccomp s = parsed_seccomp();
  EXPECT_EQ(s.default_action, SeccompAction::kErrno);
  EXPECT_EQ(s.default_errno_ret, 1u);
#if defined(__x86_64__)
  EXPECT_EQ(s.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
#endif
  std::vector<std::string> allowed = unconditional_names(s, SeccompAction::kAllow);
  for (const char* name : {"read", "write", "execve", "exit_group", "chroot", "ptrace", "openat2"}) {
    EXPECT_TRUE(contains(allowed, name)) << name;
  }
  // What docker only allows with CAP_SYS_ADMIN (and friends) stays denied.
  for (const char* name : {"mount", "umount2", "unshare", "setns", "bpf", "keyctl", "add_key", "reboot", "kexec_load",
                           "init_module", "clock_settime", "clone", "clone3", "socket"}) {
    EXPECT_FALSE(contains(allowed, name)) << name;
  }
}

TEST(DefaultSpec, SeccompLetsCloneMakeThreadsButNotNamespaces) {
  Seccomp s = parsed_seccomp();
  bool clone_masked = false, clone3_enosys = false;
  for (const SeccompSyscall& rule : s.syscalls) {
    if (rule.names == std::vector<std::string>{"clone"}) {
      ASSERT_EQ(rule.args.size(), 1u);
      EXPECT_EQ(rule.args[0].op, "SCMP_CMP_MASKED_EQ");
      EXPECT_EQ(rule.args[0].value, 2114060288u);
      EXPECT_EQ(rule.args[0].value_two, 0u);
      clone_masked = rule.action == SeccompAction::kAllow;
    }
    if (rule.names == std::vector<std::string>{"clone3"}) {
      clone3_enosys = rule.action == SeccompAction::kErrno && rule.errno_ret == 38u;
    }
  }
  EXPECT_TRUE(clone_masked);
  EXPECT_TRUE(clone3_enosys);
}

TEST(DefaultSpec, SeccompAllowsOnlyDockersPersonalities) {
  Seccomp s = default_seccomp_profile();
  std::vector<uint64_t> personas;
  for (const SeccompSyscall& rule : s.syscalls) {
    if (rule.names != std::vector<std::string>{"personality"}) continue;
    ASSERT_EQ(rule.args.size(), 1u);
    EXPECT_EQ(rule.args[0].op, "SCMP_CMP_EQ");
    personas.push_back(rule.args[0].value);
  }
  EXPECT_EQ(personas, (std::vector<uint64_t>{0, 8, 131072, 131080, 4294967295}));
}

TEST(DefaultSpec, SeccompRoundTripsThroughTheParser) {
  Seccomp want = default_seccomp_profile();
  Seccomp got = parsed_seccomp();
  EXPECT_EQ(got.architectures, want.architectures);
  ASSERT_EQ(got.syscalls.size(), want.syscalls.size());
  for (size_t i = 0; i < want.syscalls.size(); ++i) {
    EXPECT_EQ(got.syscalls[i].names, want.syscalls[i].names) << i;
    EXPECT_EQ(got.syscalls[i].action, want.syscalls[i].action) << i;
    EXPECT_EQ(got.syscalls[i].errno_ret, want.syscalls[i].errno_ret) << i;
    EXPECT_EQ(got.syscalls[i].args.size(), want.syscalls[i].args.size()) << i;
  }
}

TEST(DefaultSpec, RootlessMapsTheCallerToRootInAUserNamespace) {
  Spec spec = parsed(true);
  ASSERT_TRUE(spec.linux);
  EXPECT_EQ(namespace_types(spec), (std::vector<std::string>{"pid", "ipc", "uts", "mount", "user"}));
  ASSERT_EQ(spec.linux->uid_mappings.size(), 1u);
  EXPECT_EQ(spec.linux->uid_mappings[0].container_id, 0u);
  EXPECT_EQ(spec.linux->uid_mappings[0].host_id, geteuid());
  EXPECT_EQ(spec.linux->uid_mappings[0].size, 1u);
  ASSERT_EQ(spec.linux->gid_mappings.size(), 1u);
  EXPECT_EQ(spec.linux->gid_mappings[0].host_id, getegid());
}

TEST(DefaultSpec, RootlessBindsHostSysAndDropsIdOptions) {
  Spec spec = parsed(true);
  const Mount* sys = find_mount(spec, "/sys");
  ASSERT_NE(sys, nullptr);
  EXPECT_EQ(sys->source, "/sys");
  EXPECT_EQ(sys->options, (std::vector<std::string>{"rbind", "nosuid", "noexec", "nodev", "ro"}));
  const Mount* pts = find_mount(spec, "/dev/pts");
  ASSERT_NE(pts, nullptr);
  EXPECT_FALSE(contains(pts->options, "gid=5"));
  EXPECT_TRUE(contains(pts->options, "newinstance"));
  EXPECT_NE(find_mount(spec, "/dev/mqueue"), nullptr);
}

TEST(DefaultSpec, DeniesEveryDeviceButTheStandardOnesLikeRunc) {
  Spec rootful = parsed(false);
  ASSERT_TRUE(rootful.linux && rootful.linux->resources);
  ASSERT_EQ(rootful.linux->resources->devices.size(), 1U);
  EXPECT_FALSE(rootful.linux->resources->devices[0].allow);
  EXPECT_EQ(rootful.linux->resources->devices[0].access, "rwm");
  EXPECT_TRUE(rootful.linux->resources->devices[0].type.empty() || rootful.linux->resources->devices[0].type == "a");
  Spec rootless = parsed(true);
  EXPECT_FALSE(rootless.linux->resources) << "a rootless user has no device cgroup to write";
}

}  // namespace
}  // namespace berth::oci
