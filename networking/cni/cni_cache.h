// What a runtime must remember of each CNI attachment so that DEL works after a restart,
// even once the configuration file changed or is gone: the configuration list it was made
// with, the runtime arguments (port mappings) and the result. One file per attachment,
// written atomically. Never runs a plugin.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::cni {

struct PortMapping {
  uint16_t host_port = 0, container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip;  // empty: every address
};

struct CachedAttachment {
  static constexpr int kVersion = 1;
  std::string network, container_id, ifname, netns;
  std::string config_file, config_text;  // the list as it was read
  std::vector<PortMapping> port_mappings;
  std::string result_json;
};

class CniCache {
 public:
  explicit CniCache(std::string dir) : dir_(std::move(dir)) {}
  Status save(const CachedAttachment& a) const;
  // nullopt when nothing is cached for that attachment.
  [[nodiscard]] Result<std::optional<CachedAttachment>> load(const std::string& network,
                                                             const std::string& container_id,
                                                             const std::string& ifname) const;
  Status remove(const std::string& network, const std::string& container_id, const std::string& ifname) const;

 private:
  [[nodiscard]] std::string path_of(const std::string& network, const std::string& container_id,
                                    const std::string& ifname) const;
  std::string dir_;
};

}  // namespace berth::cni
