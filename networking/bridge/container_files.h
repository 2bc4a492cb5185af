// The name files of a container on a bridge network: /etc/hosts naming it on its addresses,
// /etc/resolv.conf from the host's without the loopback resolvers its namespace cannot reach,
// and /etc/hostname. The contents are plain strings; write_container_files() puts them into a
// rootfs, resolving every path beneath it, so a hostile image's symlinks never lead out of it.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "networking/addr/ip_address.h"

namespace berth::networking {

// /etc/hosts for a container: the localhost lines and its own name on each of its addresses.
std::string hosts_file(const std::string& hostname, const std::vector<IpAddress>& addresses);
// /etc/resolv.conf for a container: the host's, without loopback nameservers (unreachable
// from the container's namespace).
std::string resolv_conf(const std::string& host_resolv_conf);
// /etc/hostname: the name and a newline.
std::string hostname_file(const std::string& hostname);

struct ContainerFiles {
  std::string hosts;
  std::string resolv_conf;
  std::string hostname;
};

// The three files for a container named `hostname` with `addresses`, given the host's
// resolv.conf text.
ContainerFiles container_files(const std::string& hostname, const std::vector<IpAddress>& addresses,
                               const std::string& host_resolv_conf);

// Writes etc/hosts, etc/resolv.conf and etc/hostname beneath `root` (a container's rootfs or
// any directory standing for one; etc is made when missing), each replaced atomically (temp
// file, fsync, rename, directory fsync): a reader sees the old file or the new, never a part.
Status write_container_files(const std::string& root, const ContainerFiles& files);

}  // namespace berth::networking
