// CNI network configuration lists as a runtime reads them: *.conflist files (and single
// plugin *.conf / *.json files, wrapped into a list) from a directory, sorted by file name.
// Plugin configurations are kept as JSON text: the runtime only adds the fields the
// specification says it injects (name, cniVersion, runtimeConfig, prevResult).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace berth::cni {

struct PluginConfig {
  std::string type;                       // the plugin binary's name
  std::vector<std::string> capabilities;  // those set to true ("portMappings")
  std::string json;                       // the plugin's object, verbatim
};

struct NetworkConfigList {
  std::string cni_version;
  std::string name;
  bool disable_check = false;
  std::vector<PluginConfig> plugins;
  std::string file;  // where it was read from, for messages
  std::string text;  // the file as it was read (the cache keeps it for DEL)
};

// Parses one file's text; a single plugin configuration (it has "type" and no "plugins")
// becomes a list of one. Errors name the file and the field.
Result<NetworkConfigList> parse_network_config(std::string_view text, const std::string& file);

// Every configuration in `dir` (*.conflist, *.conf, *.json), sorted by file name; a file that
// does not parse is an error naming it.
Result<std::vector<NetworkConfigList>> load_network_configs(const std::string& dir);

// The configuration named `name` in `dir`, or the first one when `name` is empty.
Result<NetworkConfigList> find_network_config(const std::string& dir, const std::string& name);

}  // namespace berth::cni
