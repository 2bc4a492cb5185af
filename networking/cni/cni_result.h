// What a CNI plugin prints: a result (interfaces, IPs, routes, DNS) on success, an error
// object ({code, msg, details}) on failure, or its supported versions for VERSION. Parsed
// into berth's own types; the result's JSON is also kept verbatim, as the prevResult the next
// plugin in the chain gets and as what the cache stores.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::cni {

struct Interface {
  std::string name, mac, sandbox;  // sandbox: the netns path, empty on the host side
};

struct IpConfig {
  std::string address;  // CIDR: "10.88.0.5/16"
  std::string gateway;
  std::optional<int> interface;  // index into interfaces
};

struct Route {
  std::string dst, gw;
};

struct CniResult {
  std::string cni_version;
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  std::vector<std::string> dns_nameservers;
  std::string json;  // the whole result as the plugin printed it
};

// A plugin's error object: "plugin bridge: [code 11] msg: details".
struct PluginError {
  int code = 0;
  std::string msg, details;
};

Result<CniResult> parse_result(std::string_view text);
// nullopt when `text` is not an error object.
std::optional<PluginError> parse_plugin_error(std::string_view text);
// The versions a plugin lists for VERSION.
Result<std::vector<std::string>> parse_supported_versions(std::string_view text);

}  // namespace berth::cni
