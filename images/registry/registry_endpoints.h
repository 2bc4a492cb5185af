// Where a registry's content is fetched from: its mirrors first, then the registry itself
// (docker.io is served by registry-1.docker.io), each over HTTPS unless configured as plain
// HTTP or insecure, or on a loopback address (plain HTTP by default, as docker does).
// Mirrors keep the repository path: docker.io/library/busybox through a mirror
// http://127.0.0.1:5000 is 127.0.0.1:5000/library/busybox. Only computes URLs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "images/registry/url.h"

namespace berth::registry {

struct RegistryHostConfig {
  std::vector<std::string> mirrors;  // "http://127.0.0.1:5000", "mirror.example:443", ...
  bool plain_http = false;           // talk HTTP to the registry itself
  bool skip_tls_verify = false;      // HTTPS without checking the certificate
};

struct Endpoint {
  Url base;  // scheme://host:port/ of the API (paths /v2/... are added)
  bool mirror = false;
  bool skip_tls_verify = false;
};

// The endpoints to try for the registry `domain` ("docker.io", "127.0.0.1:5000"), in order.
Result<std::vector<Endpoint>> endpoints_for(const std::string& domain,
                                            const std::map<std::string, RegistryHostConfig>& config);

// Whether `host` (no port) is a loopback address or localhost.
bool is_loopback_host(const std::string& host);

}  // namespace berth::registry
