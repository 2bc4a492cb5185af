#include "images/registry/registry_endpoints.h"

#include "networking/addr/ip_address.h"

namespace berth::registry {
namespace {

// "host[:port]" or a URL; without a scheme, loopback hosts get http and the rest https.
Result<Endpoint> endpoint(const std::string& text, bool plain_http, bool skip_verify, bool mirror) {
  std::string url = text;
  if (url.find("://") == std::string::npos) {
    BERTH_ASSIGN(auto probe, Url::parse("https://" + url));
    url = (plain_http || is_loopback_host(probe.host) ? "http://" : "https://") + url;
  }
  BERTH_ASSIGN(auto base, Url::parse(url));
  base.target = "/";
  return Endpoint{std::move(base), mirror, skip_verify};
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  auto ip = networking::IpAddress::parse(host);
  return ip.ok() && ip->is_loopback();
}

Result<std::vector<Endpoint>> endpoints_for(const std::string& domain,
                                            const std::map<std::string, RegistryHostConfig>& config) {
  RegistryHostConfig host;
  if (auto it = config.find(domain); it != config.end()) host = it->second;
  std::vector<Endpoint> out;
  for (const auto& m : host.mirrors) {
    auto e = endpoint(m, false, host.skip_tls_verify, true);
    if (!e) return e.error().context("mirror of " + domain);
    out.push_back(std::move(*e));
  }
  const std::string api_host = domain == "docker.io" ? "registry-1.docker.io" : domain;
  BERTH_ASSIGN(auto self, endpoint(api_host, host.plain_http, host.skip_tls_verify, false));
  out.push_back(std::move(self));
  return out;
}

}  // namespace berth::registry
