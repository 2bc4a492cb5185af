// Attaching a container's network namespace to a CNI network: the plugins of the list run
// in order for ADD (each given the previous one's result) and in reverse for DEL, CHECK
// checks a cached attachment, VERSION asks a plugin what it speaks. A failed ADD is undone
// with DEL, so nothing is left half-made; DEL works from the cache after a restart.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "networking/cni/cni_cache.h"
#include "networking/cni/cni_config.h"
#include "networking/cni/cni_result.h"

namespace berth::cni {

struct Attachment {
  std::string container_id;
  std::string netns;  // path of the container's network namespace
  std::string ifname = "eth0";
  std::vector<PortMapping> port_mappings;                 // for plugins with the portMappings capability
  std::vector<std::pair<std::string, std::string>> args;  // CNI_ARGS
};

struct RunnerOptions {
  std::vector<std::string> plugin_dirs = {"/opt/cni/bin", "/usr/lib/cni"};
  std::string cache_dir = "/var/lib/berth/cni";
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
};

class CniRunner {
 public:
  explicit CniRunner(RunnerOptions options) : options_(std::move(options)), cache_(options_.cache_dir) {}

  Result<CniResult> add(const NetworkConfigList& list, const Attachment& a) const;
  // Checks the attachment ADD made (its cached result) is still as it was.
  Status check(const NetworkConfigList& list, const Attachment& a) const;
  // Detaches: with the cached configuration and result when there are some (the current
  // `list` is only used when nothing is cached). Idempotent.
  Status del(const NetworkConfigList& list, const Attachment& a) const;
  // The CNI versions the plugin `type` supports.
  [[nodiscard]] Result<std::vector<std::string>> versions(const std::string& type) const;

 private:
  // Runs one plugin of `list` for `command`; its stdout (the result) on success.
  [[nodiscard]] Result<std::string> invoke(const NetworkConfigList& list, const PluginConfig& plugin,
                                           const std::string& command, const Attachment& a,
                                           const std::string& prev_result) const;
  Status del_plugins(const NetworkConfigList& list, const Attachment& a, const std::string& prev_result) const;

  RunnerOptions options_;
  CniCache cache_;
};

}  // namespace berth::cni
