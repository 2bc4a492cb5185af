#include "networking/bridge/container_files.h"

#include <fcntl.h>

#include "common/file.h"
#include "common/path_beneath.h"
#include "common/strings.h"

namespace berth::networking {
std::string hosts_file(const std::string& hostname, const std::vector<IpAddress>& addresses) {
  std::string out = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& address : addresses) out += address.to_string() + "\t" + hostname + "\n";
  return out;
}

std::string resolv_conf(const std::string& host_resolv_conf) {
  std::string out;
  auto lines = split(host_resolv_conf, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the text's final newline
  for (const auto& line : lines) {
    const auto t = trim(line);
    if (t.starts_with("nameserver")) {
      const auto server = trim(t.substr(10));
      auto ip = IpAddress::parse(server);
      if (ip && ip->is_loopback()) continue;
    }
    out += line;
    out += '\n';
  }
  return out;
}

std::string hostname_file(const std::string& hostname) { return hostname + "\n"; }

ContainerFiles container_files(const std::string& hostname, const std::vector<IpAddress>& addresses,
                               const std::string& host_resolv_conf) {
  return {hosts_file(hostname, addresses), resolv_conf(host_resolv_conf), hostname_file(hostname)};
}

Status write_container_files(const std::string& root, const ContainerFiles& files) {
  const std::string what = "write the name files of the container in " + root;
  auto root_fd = open_path(root, O_PATH | O_DIRECTORY);
  if (!root_fd) return root_fd.error().context(what);
  // /etc may be missing (a scratch image) or a symlink: either way it stays beneath root.
  auto made = open_beneath(root_fd->get(), "etc", /*create=*/true, /*create_file=*/false);
  if (!made) return made.error().context(what);
  auto etc = open_in_root(root_fd->get(), "etc", O_PATH | O_DIRECTORY);
  if (!etc) return etc.error().context(what);
  for (const auto& [name, text] : {std::pair{"hosts", &files.hosts}, std::pair{"resolv.conf", &files.resolv_conf},
                                   std::pair{"hostname", &files.hostname}}) {
    if (auto s = write_file_atomic_at(etc->get(), name, *text); !s) return s.error().context(what + ": etc/" + name);
  }
  return ok();
}

}  // namespace berth::networking
