// AppC image discovery (appc spec, discovery.md) over the registry's HTTP client: simple
// discovery ({scheme}://{name}-{version}-{os}-{arch}.aci) first, then meta discovery
// (<meta name="ac-discovery" content="prefix template"> from https://{name}?ac-discovery=1).
// HTTPS always; plain HTTP only for a loopback host or when allowed. Signatures (.aci.asc)
// are NOT verified: that is logged on every fetch. The ACI is downloaded to an unnamed temp
// file and imported (verified, all or nothing); nothing else is written.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "images/appc/aci_render.h"
#include "images/registry/http_client.h"

namespace berth::images::appc {

struct DiscoveryOptions {
  bool allow_insecure_http = false;  // plain HTTP to any host, not only loopback
  // Host of a name -> "host:port" to connect to instead (an AC name has no port): private
  // mirrors and tests. The scheme rules apply to the host connected to.
  std::map<std::string, std::string> host_aliases;
  bool meta_discovery = true;
  uint64_t max_aci_bytes = 8ULL << 30;  // a download never exceeds this (or a dependency's size)
  registry::HttpOptions http;
};

// The AppC names of this machine: "linux" and "amd64", "aarch64", "i386", ... .
std::string host_os();
std::string host_arch();

// `labels` with "os" and "arch" set to the host's where the caller left them out.
Labels with_host_platform(Labels labels);

// "{name}-{version}-{os}-{arch}.{ext}" and any other "{label}" filled in; an error names a
// placeholder left without a value.
Result<std::string> fill_template(const std::string& tmpl, const std::string& name, const Labels& labels,
                                  const std::string& ext);

// The ac-discovery templates of an HTML page whose prefix matches `name`, longest prefix first.
std::vector<std::string> meta_discovery_templates(const std::string& html, const std::string& name);

// Finds `name` with `labels` (the host's os/arch when left out), downloads and imports it.
// `expected_id` (hex, maybe truncated) and `max_bytes` (0: the options' limit) bound what
// is accepted.
Result<AciImage> discover_and_import(ContentStore& store, const std::string& name, const Labels& labels,
                                     const DiscoveryOptions& options, const std::string& expected_id = "",
                                     uint64_t max_bytes = 0);

// A DependencyFetcher that discovers what the store lacks.
DependencyFetcher discovery_fetcher(ContentStore& store, DiscoveryOptions options);

}  // namespace berth::images::appc
