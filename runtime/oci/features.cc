#include "runtime/oci/features.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <string_view>

#include "runtime/oci/pretty_json.h"
#include "runtime/oci/seccomp_names.h"
#include "runtime/oci/spec.h"

namespace berth::oci {
namespace {

constexpr std::array<std::string_view, 6> kHooks = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

// Every option runtime/linux's mount code accepts in config.json's mounts[].options.
constexpr std::string_view kMountOptions[] = {
    "async",
    "atime",
    "bind",
    "defaults",
    "dev",
    "diratime",
    "dirsync",
    "exec",
    "iversion",
    "lazytime",
    "loud",
    "mand",
    "noatime",
    "nodev",
    "nodiratime",
    "noexec",
    "noiversion",
    "nolazytime",
    "nomand",
    "norelatime",
    "nostrictatime",
    "nosuid",
    "nosymfollow",
    "private",
    "ratime",
    "rbind",
    "rdev",
    "rdiratime",
    "relatime",
    "remount",
    "rexec",
    "rnoatime",
    "rnodev",
    "rnodiratime",
    "rnoexec",
    "rnorelatime",
    "rnostrictatime",
    "rnosuid",
    "rnosymfollow",
    "ro",
    "rprivate",
    "rrelatime",
    "rro",
    "rrw",
    "rshared",
    "rslave",
    "rstrictatime",
    "rsuid",
    "rsymfollow",
    "runbindable",
    "rw",
    "shared",
    "silent",
    "slave",
    "strictatime",
    "suid",
    "symfollow",
    "sync",
    "tmpcopyup",
    "unbindable",
    "idmap",
    "ridmap",
};

constexpr std::array<std::string_view, 8> kNamespaces = {
    "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts",
};

bool file_starts_with(const char* path, char c) {
  std::ifstream in(path);
  char first = 0;
  return in.get(first) && first == c;
}

// seccomp(2) checks the flags before it reads the program, so a null program answers
// EFAULT for flags this kernel takes and EINVAL for the others, and installs nothing.
bool kernel_takes_seccomp_flags(uint32_t flags) {
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, nullptr);
  return rc < 0 && errno == EFAULT;
}

std::string libseccomp_version() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

void write_seccomp(PrettyJson& j, const HostFeatures& host) {
  auto& w = j.writer();
  j.key("seccomp");
  w.StartObject();
  j.bool_field("enabled", true);
  j.string_field("actions", seccomp_action_names());
  j.string_field("operators", seccomp_operator_names());
  j.string_field("archs", seccomp_known_arch_names());
  j.string_field("knownFlags", seccomp_known_flag_names());
  j.string_field("supportedFlags", host.seccomp_supported_flags);
  w.EndObject();
}

void write_enabled(PrettyJson& j, std::string_view key, bool enabled) {
  j.key(key);
  j.writer().StartObject();
  j.bool_field("enabled", enabled);
  j.writer().EndObject();
}

void write_cgroup(PrettyJson& j) {
  j.key("cgroup");
  j.writer().StartObject();
  j.bool_field("v1", true);
  j.bool_field("v2", true);
  j.bool_field("systemd", false);
  j.bool_field("systemdUser", false);
  j.bool_field("rdma", false);
  j.writer().EndObject();
}

void write_linux(PrettyJson& j, const HostFeatures& host) {
  auto& w = j.writer();
  j.key("linux");
  w.StartObject();
  j.string_field("namespaces", kNamespaces);
  j.string_field("capabilities", all_capability_names());
  write_cgroup(j);
  write_seccomp(j, host);
  write_enabled(j, "apparmor", host.apparmor);
  write_enabled(j, "selinux", host.selinux);
  write_enabled(j, "intelRdt", false);
  j.key("mountExtensions");
  w.StartObject();
  write_enabled(j, "idmap", true);
  w.EndObject();
  w.EndObject();
}

}  // namespace

HostFeatures probe_host_features() {
  HostFeatures host;
  host.apparmor = file_starts_with("/sys/module/apparmor/parameters/enabled", 'Y');
  host.selinux = access("/sys/fs/selinux/enforce", F_OK) == 0;
  for (std::string_view name : seccomp_known_flag_names()) {
    uint32_t flags = seccomp_flag_bit(name).value_or(0);
    // The kernel takes WAIT_KILLABLE_RECV only together with NEW_LISTENER.
    if (name == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (kernel_takes_seccomp_flags(flags)) host.seccomp_supported_flags.emplace_back(name);
  }
  return host;
}

std::string features_json(const HostFeatures& host) {
  PrettyJson j;
  auto& w = j.writer();
  w.StartObject();
  j.field("ociVersionMin", "1.0.0");
  j.field("ociVersionMax", kOciVersion);
  j.string_field("hooks", kHooks);
  j.string_field("mountOptions", kMountOptions);
  write_linux(j, host);
  j.key("annotations");
  w.StartObject();
  j.field("io.github.berth.version", BERTH_VERSION);
  j.field("io.github.seccomp.libseccomp.version", libseccomp_version());
  w.EndObject();
  w.EndObject();
  return j.text();
}

std::string features_json() { return features_json(probe_host_features()); }

}  // namespace berth::oci
