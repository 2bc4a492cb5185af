#include "images/registry/registry_client.h"

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include "common/json.h"
#include "images/digest/digest.h"

namespace berth::registry {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kManifestTypes =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

// The hasher for a digest's algorithm ("sha256:…", or sha512 for AppC-style digests); only
// the algorithm is read, so a malformed hex still gets hashed and then fails to match.
Result<images::Hasher> hasher_for(const std::string& digest) {
  const auto colon = digest.find(':');
  const std::string alg = digest.substr(0, colon);
  if (colon != std::string::npos && alg == "sha256") return images::Hasher(images::DigestAlgorithm::kSha256);
  if (colon != std::string::npos && alg == "sha512") return images::Hasher(images::DigestAlgorithm::kSha512);
  return Error(EINVAL, "unsupported digest \"" + digest + "\"");
}

bool worth_retrying(const Result<HttpResponse>& r) { return !r || r->status >= 500 || r->status == 429; }

std::string status_error(const HttpResponse& r, const std::string& what) {
  std::string body = r.body.substr(0, 300);
  return what + ": HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

}  // namespace

Result<std::string> RegistryClient::authorization_for(const HttpClient& http, const Endpoint& e, const Fetch& f,
                                                      const Challenge& challenge) {
  auto creds = options_.credentials.find(e.base.host_port());
  if (!creds) creds = options_.credentials.find(f.domain);
  if (challenge.scheme == "basic") {
    if (!creds) return Error(EACCES, e.base.host_port() + " asks for a user and password; none are configured for it");
    return creds->basic_header();
  }
  auto realm = challenge.params.find("realm");
  if (realm == challenge.params.end()) return Error(EPROTO, e.base.host_port() + ": Bearer challenge without a realm");
  BERTH_ASSIGN(auto token_url, e.base.resolve(realm->second));
  std::string query;
  if (auto s = challenge.params.find("service"); s != challenge.params.end())
    query += "service=" + url_encode(s->second);
  const auto scope_it = challenge.params.find("scope");
  const std::string scope =
      scope_it != challenge.params.end() ? scope_it->second : "repository:" + f.repository + ":pull";
  if (!f.repository.empty()) query += std::string(query.empty() ? "" : "&") + "scope=" + url_encode(scope);
  if (!query.empty()) token_url.target += (token_url.target.find('?') == std::string::npos ? "?" : "&") + query;
  HttpRequest req{"GET", token_url, {}};
  if (creds) req.headers.emplace_back("Authorization", creds->basic_header());
  BERTH_ASSIGN(auto response, http.send(req));
  if (response.status != 200) return Error(EACCES, status_error(response, "token from " + token_url.str()));
  BERTH_ASSIGN(auto doc, JsonDocument::parse(response.body, "token response"));
  JsonNode root(doc);
  auto token = root.field("token");
  if (!token) token = root.field("access_token");
  if (!token) return Error(EPROTO, "token from " + token_url.str() + ": no token in the answer");
  BERTH_ASSIGN(auto value, token->as_string());
  return "Bearer " + value;
}

Result<HttpResponse> RegistryClient::authorized(const HttpClient& http, const Endpoint& e, const Fetch& f,
                                                HttpRequest request, const std::function<Status()>& restart,
                                                const BodySink& sink) {
  const std::string key = e.base.host_port() + "/" + f.repository;
  {
    std::lock_guard lock(auth_mu_);
    if (auto it = auth_.find(key); it != auth_.end()) request.headers.emplace_back("Authorization", it->second);
  }
  if (restart) BERTH_TRY(restart());
  BERTH_ASSIGN(auto response, http.send(request, sink));
  if (response.status != 401) return response;
  auto challenge = parse_www_authenticate(response.header("www-authenticate"));
  if (!challenge) return Error(EACCES, status_error(response, "GET " + request.url.str()));
  BERTH_ASSIGN(auto authorization, authorization_for(http, e, f, *challenge));
  {
    std::lock_guard lock(auth_mu_);
    auth_[key] = authorization;
  }
  std::erase_if(request.headers, [](const auto& h) { return h.first == "Authorization"; });
  request.headers.emplace_back("Authorization", authorization);
  if (restart) BERTH_TRY(restart());
  return http.send(request, sink);
}

Result<HttpResponse> RegistryClient::get_from(const Endpoint& e, const Fetch& f, const std::function<Status()>& restart,
                                              const BodySink& sink) {
  const HttpClient http(HttpOptions{!e.skip_tls_verify, options_.timeout, 5});
  BERTH_ASSIGN(auto url, e.base.resolve(f.path));
  auto wait = options_.backoff;
  Result<HttpResponse> last = Error(EIO, "no attempt");
  for (int attempt = 1; attempt <= std::max(1, options_.attempts); ++attempt) {
    last = authorized(http, e, f, HttpRequest{"GET", url, f.headers}, restart, sink);
    if (!worth_retrying(last) || attempt == options_.attempts) break;
    std::this_thread::sleep_for(wait);
    wait *= 2;
  }
  return last;
}

Result<HttpResponse> RegistryClient::get(const Fetch& f, const std::function<Status()>& restart, const BodySink& sink) {
  BERTH_ASSIGN(auto endpoints, endpoints_for(f.domain, options_.hosts));
  std::string failures;
  for (const auto& e : endpoints) {
    auto r = get_from(e, f, restart, sink);
    if (r && r->status / 100 == 2) return r;
    const std::string why = r ? status_error(*r, e.base.host_port()) : r.error().message();
    // The registry's own answer (a 404, a 401) is final; a mirror's only sends us on.
    if (!e.mirror) return r ? Error(r->status == 404 ? ENOENT : EIO, why) : r.error();
    failures += "mirror " + why + "; ";
  }
  return Error(EIO, failures + "no endpoint left");
}

Status RegistryClient::ping(const std::string& domain) {
  BERTH_TRY(get(Fetch{domain, "", "/v2/", {}}, {}, {}));
  return ok();
}

Result<FetchedManifest> RegistryClient::manifest(const std::string& domain, const std::string& repository,
                                                 const std::string& reference) {
  const std::string what =
      "manifest " + domain + "/" + repository + (reference.find(':') == std::string::npos ? ":" : "@") + reference;
  auto r = get(Fetch{domain, repository, "/v2/" + repository + "/manifests/" + reference, {{"Accept", kManifestTypes}}},
               {}, {});
  if (!r) return r.error().context(what);
  const bool by_digest = reference.find(':') != std::string::npos;
  BERTH_ASSIGN(auto hasher, hasher_for(by_digest ? reference : "sha256:"));
  hasher.update(r->body);
  FetchedManifest m{r->header("content-type"), hasher.digest().str(), std::move(r->body)};
  if (by_digest && m.digest != reference) return Error(EBADMSG, what + ": the registry sent " + m.digest);
  const std::string announced = r->header("docker-content-digest");
  if (!announced.empty() && announced.starts_with(m.digest.substr(0, 7)) && announced != m.digest) {
    return Error(EBADMSG, what + ": Docker-Content-Digest " + announced + " but the bytes are " + m.digest);
  }
  return m;
}

Status RegistryClient::blob(const std::string& domain, const std::string& repository, const BlobRequest& request,
                            const ProgressFn& progress) {
  const std::string what = "blob " + request.digest + " of " + domain + "/" + repository;
  std::optional<images::Hasher> hasher;
  uint64_t received = 0;
  Clock::time_point started;
  uint64_t reported = 0;
  auto restart = [&]() -> Status {
    BERTH_ASSIGN(auto fresh, hasher_for(request.digest));
    hasher.emplace(std::move(fresh));
    received = 0;
    reported = 0;
    started = Clock::now();
    return request.restart ? request.restart() : ok();
  };
  auto report = [&](bool done) {
    if (!progress) return;
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::lock_guard lock(progress_mu_);
    progress(Progress{request.digest, received, request.size, seconds > 0 ? static_cast<double>(received) / seconds : 0,
                      done});
  };
  auto sink = [&](std::string_view chunk) -> Status {
    received += chunk.size();
    if (request.size != 0 && received > request.size) {
      return Error(EFBIG, what + ": more than the " + std::to_string(request.size) + " bytes announced");
    }
    hasher->update(chunk);
    if (received - reported >= (256U << 10)) {
      reported = received;
      report(false);
    }
    return request.write(chunk);
  };
  auto r = get(Fetch{domain, repository, "/v2/" + repository + "/blobs/" + request.digest, {}}, restart, sink);
  if (!r) return r.error().context(what);
  if (request.size != 0 && received != request.size) {
    return Error(EBADMSG, what + ": " + std::to_string(received) + " bytes instead of " + std::to_string(request.size));
  }
  const std::string got = hasher->digest().str();
  if (got != request.digest) return Error(EBADMSG, what + ": the bytes are " + got);
  report(true);
  if (request.done) return request.done().context(what);
  return ok();
}

Status RegistryClient::blobs(const std::string& domain, const std::string& repository,
                             const std::vector<BlobRequest>& requests, const ProgressFn& progress) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  std::optional<Error> first;
  auto worker = [&] {
    for (size_t i = next++; i < requests.size() && !failed; i = next++) {
      auto s = blob(domain, repository, requests[i], progress);
      if (s) continue;
      failed = true;
      std::lock_guard lock(error_mu);
      if (!first) first = s.error();
    }
  };
  std::vector<std::thread> threads;
  const size_t n = std::min(std::max<size_t>(1, options_.parallel_blobs), requests.size());
  for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (first) return *first;
  return ok();
}

}  // namespace berth::registry
