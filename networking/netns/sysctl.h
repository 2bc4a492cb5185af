// Per-namespace network sysctls (net.ipv4.ip_forward, net.ipv6.conf.eth0.accept_dad, ...):
// /proc/sys/net shows the namespace of whoever opens it, so the file is opened, read and
// written on a thread inside the target namespace. Only "net." keys: others are not per
// network namespace, and writing them would change the host.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "networking/netns/netns.h"

namespace berth::networking {

// The /proc/sys path of a key given as "net.ipv4.ip_forward" or "net/ipv4/ip_forward" (the
// slash form allows dots in interface names: "net/ipv4/conf/eth0.100/forwarding"). An error
// for keys outside net or with empty, "." or ".." components.
Result<std::string> sysctl_path(std::string_view key);

// The value of `key` inside `netns`, without the trailing newline.
Result<std::string> read_sysctl(const Netns& netns, std::string_view key);
// Sets `key` inside `netns`.
Status write_sysctl(const Netns& netns, std::string_view key, std::string_view value);
// Sets `key` in the calling thread's own network namespace (no thread, no setns).
Status write_sysctl_here(std::string_view key, std::string_view value);

}  // namespace berth::networking
