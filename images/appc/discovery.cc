#include "images/appc/discovery.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "images/registry/registry_endpoints.h"

namespace berth::images::appc {
namespace {

using registry::HttpClient;
using registry::HttpRequest;
using registry::HttpResponse;
using registry::Url;

constexpr std::string_view kSimpleTemplate = "https://{name}-{version}-{os}-{arch}.{ext}";

// The host to connect to, after aliases: plain HTTP is allowed there only when loopback.
Result<Url> aliased(Url url, const DiscoveryOptions& options) {
  auto alias = options.host_aliases.find(url.host);
  if (alias == options.host_aliases.end()) return url;
  BERTH_ASSIGN(Url target, Url::parse("http://" + alias->second));
  url.host = target.host;
  url.port = target.port;
  return url;
}

bool plain_http_allowed(const Url& url, const DiscoveryOptions& options) {
  return options.allow_insecure_http || registry::is_loopback_host(url.host);
}

Status check_scheme(const Url& url, const DiscoveryOptions& options) {
  if (url.scheme != "http" || plain_http_allowed(url, options)) return ok();
  return Error(EPERM, "plain HTTP to " + url.host + " is not allowed (only loopback, or when insecure)");
}

// GETs `text` over HTTPS; where plain HTTP is allowed, falls back to it when no TLS answer
// came. Redirects are held to the same rule.
Result<HttpResponse> get(const std::string& text, const DiscoveryOptions& options, const registry::BodySink& sink) {
  BERTH_ASSIGN(Url parsed, Url::parse(text));
  bool had_port = options.host_aliases.contains(parsed.host);
  BERTH_ASSIGN(Url url, aliased(parsed, options));
  BERTH_TRY(check_scheme(url, options).context(text));
  bool http_allowed = plain_http_allowed(url, options);
  registry::HttpOptions http = options.http;
  http.check_redirect = [&options](const Url& next) { return check_scheme(next, options); };
  HttpClient client(http);
  auto response = client.send(HttpRequest{.url = url}, sink);
  if (response || url.scheme == "http" || !http_allowed) return std::move(response).context("GET " + text);
  log::debug("GET " + text + " over HTTPS failed (" + response.error().message() + "); trying plain HTTP");
  url.scheme = "http";
  if (!had_port && url.port == "443") url.port = "80";
  return client.send(HttpRequest{.url = url}, sink).context("GET " + url.str());
}

// The attribute `name` of one HTML tag's text ("<meta name=... content=...>").
std::string attribute(std::string_view tag, std::string_view name) {
  for (size_t pos = 0; (pos = tag.find(name, pos)) != std::string_view::npos; pos += name.size()) {
    bool starts = pos > 0 && std::isspace(static_cast<unsigned char>(tag[pos - 1])) != 0;
    size_t eq = pos + name.size();
    while (eq < tag.size() && tag[eq] == ' ') ++eq;
    if (!starts || eq >= tag.size() || tag[eq] != '=') continue;
    size_t v = eq + 1;
    while (v < tag.size() && tag[v] == ' ') ++v;
    if (v >= tag.size()) return {};
    char quote = tag[v];
    if (quote != '"' && quote != '\'') return std::string(tag.substr(v, tag.find_first_of(" >", v) - v));
    size_t end = tag.find(quote, v + 1);
    if (end == std::string_view::npos) return {};
    return std::string(tag.substr(v + 1, end - v - 1));
  }
  return {};
}

Result<UniqueFd> temp_file(const ContentStore& store) {
  int fd = ::open(store.ingest_dir().c_str(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
  if (fd < 0) return Error::from_errno("create a temp file in " + store.ingest_dir());
  return UniqueFd(fd);
}

// Downloads `url` into a temp file; nullopt for a 404 (try the next candidate).
Result<std::optional<UniqueFd>> download(const ContentStore& store, const std::string& url,
                                         const DiscoveryOptions& options, uint64_t max_bytes) {
  BERTH_ASSIGN(UniqueFd fd, temp_file(store));
  uint64_t written = 0;
  auto sink = [&](std::string_view chunk) -> Status {
    written += chunk.size();
    if (written > max_bytes) return Error(EFBIG, "more than " + std::to_string(max_bytes) + " bytes");
    return write_all(fd.get(), chunk, "download");
  };
  BERTH_ASSIGN(HttpResponse response, get(url, options, sink));
  if (response.status == 404) return std::optional<UniqueFd>();
  if (response.status / 100 != 2) {
    return Error(EIO, "GET " + url + ": HTTP " + std::to_string(response.status));
  }
  return std::optional<UniqueFd>(std::move(fd));
}

Error no_value(const std::string& tmpl, const std::string& key) {
  return Error(EINVAL, "template \"" + tmpl + "\": no value for {" + key + "}");
}

Result<std::vector<std::string>> candidate_urls(const std::string& name, const Labels& labels,
                                                const DiscoveryOptions& options) {
  Labels simple = labels;
  simple.try_emplace("version", "latest");
  std::vector<std::string> urls;
  BERTH_ASSIGN(std::string url, fill_template(std::string(kSimpleTemplate), name, simple, "aci"));
  urls.push_back(url);
  if (!options.meta_discovery) return urls;
  auto page = get("https://" + name + "?ac-discovery=1", options, {});
  if (!page || page->status / 100 != 2) {
    log::debug("meta discovery for " + name + ": " +
               (page ? "HTTP " + std::to_string(page->status) : page.error().message()));
    return urls;
  }
  for (const std::string& tmpl : meta_discovery_templates(page->body, name)) {
    auto filled = fill_template(tmpl, name, labels, "aci");
    if (filled)
      urls.push_back(*filled);
    else
      log::debug("meta discovery for " + name + ": " + filled.error().message());
  }
  return urls;
}

}  // namespace

std::string host_os() { return "linux"; }

std::string host_arch() {
  struct utsname u {};
  ::uname(&u);
  std::string machine = u.machine;
  if (machine == "x86_64") return "amd64";
  if (machine.size() == 4 && machine[0] == 'i' && machine.ends_with("86")) return "i386";
  return machine;  // aarch64, armv7l, ppc64le, s390x: AppC uses the kernel's names
}

Labels with_host_platform(Labels labels) {
  labels.try_emplace("os", host_os());
  labels.try_emplace("arch", host_arch());
  return labels;
}

Result<std::string> fill_template(const std::string& tmpl, const std::string& name, const Labels& labels,
                                  const std::string& ext) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find('{', pos);
    if (open == std::string::npos) break;
    size_t close = tmpl.find('}', open);
    if (close == std::string::npos) return Error(EINVAL, "template \"" + tmpl + "\": unclosed '{'");
    out += tmpl.substr(pos, open - pos);
    std::string key = tmpl.substr(open + 1, close - open - 1);
    auto label = labels.find(key);
    if (key == "name") {
      out += name;
    } else if (key == "ext") {
      out += ext;
    } else if (label != labels.end()) {
      out += label->second;
    } else {
      return no_value(tmpl, key);
    }
    pos = close + 1;
  }
  return out + tmpl.substr(std::min(pos, tmpl.size()));
}

std::vector<std::string> meta_discovery_templates(const std::string& html, const std::string& name) {
  std::vector<std::pair<std::string, std::string>> found;  // prefix, template
  for (size_t pos = 0; (pos = html.find("<meta", pos)) != std::string::npos; ++pos) {
    size_t end = html.find('>', pos);
    if (end == std::string::npos) break;
    std::string_view tag(html.data() + pos, end - pos);
    if (attribute(tag, "name") != "ac-discovery") continue;
    auto parts = split(trim(attribute(tag, "content")), ' ');
    parts.erase(std::remove(parts.begin(), parts.end(), std::string()), parts.end());
    if (parts.size() == 2 && name.starts_with(parts[0])) found.emplace_back(parts[0], parts[1]);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::vector<std::string> out;
  out.reserve(found.size());
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

Result<AciImage> discover_and_import(ContentStore& store, const std::string& name, const Labels& labels,
                                     const DiscoveryOptions& options, const std::string& expected_id,
                                     uint64_t max_bytes) {
  std::string what = "discover " + name;
  BERTH_TRY(check_ac_identifier("name", name).context(what));
  Labels wanted = with_host_platform(labels);
  BERTH_ASSIGN(auto urls, candidate_urls(name, wanted, options).context(what));
  uint64_t limit = max_bytes != 0 ? std::min(max_bytes, options.max_aci_bytes) : options.max_aci_bytes;
  std::string tried;
  for (const std::string& url : urls) {
    BERTH_ASSIGN(std::optional<UniqueFd> fd, download(store, url, options, limit).context(what));
    if (!fd) {
      tried += (tried.empty() ? "" : ", ") + url;
      continue;
    }
    std::string unsigned_note = what;
    unsigned_note += ": the signature " + url + ".asc is not verified (berth does not check AppC signatures)";
    log::warn(unsigned_note);
    AciImportOptions import{.expected_id = expected_id, .expected_name = name, .expected_labels = labels};
    return import_aci(store, fd->get(), url, import).context(what);
  }
  return Error(ENOENT, what + ": not found (tried " + tried + ")");
}

DependencyFetcher discovery_fetcher(ContentStore& store, DiscoveryOptions options) {
  return [&store, options = std::move(options)](const Dependency& d) {
    return discover_and_import(store, d.image_name, d.labels, options, d.image_id, d.size);
  };
}

}  // namespace berth::images::appc
