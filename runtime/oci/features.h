// The runtime-spec `features` document (`berth-oci features`): what this build of berth
// and the running host support, for engines that adapt config.json to the runtime.
// Reads a few host facts (LSMs, seccomp flags); never changes anything.
#pragma once

#include <string>
#include <vector>

namespace berth::oci {

// What the features document reports about the host rather than about berth.
struct HostFeatures {
  bool apparmor = false;                             // /sys/module/apparmor/parameters/enabled says Y
  bool selinux = false;                              // /sys/fs/selinux/enforce exists
  std::vector<std::string> seccomp_supported_flags;  // SECCOMP_FILTER_FLAG_* the kernel takes
};

HostFeatures probe_host_features();

// Tab-indented JSON for the given host facts, or for this host's.
std::string features_json(const HostFeatures& host);
std::string features_json();

}  // namespace berth::oci
