// The client side of the Docker Registry HTTP API v2 / OCI distribution spec: ping, manifests
// (OCI and Docker, index and list included) and blobs, from a registry's mirrors first and
// then the registry itself; anonymous, Bearer-token and Basic auth; retries with backoff on
// connection errors, 5xx and 429; every manifest and blob checked against its digest and
// size. Blobs go to the caller's sink (several in parallel, with progress). Never writes a
// file itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "images/registry/credentials.h"
#include "images/registry/http_client.h"
#include "images/registry/registry_endpoints.h"
#include "images/registry/www_authenticate.h"

namespace berth::registry {

struct RegistryOptions {
  std::map<std::string, RegistryHostConfig> hosts;  // by registry domain
  CredentialStore credentials;
  int attempts = 3;                        // per endpoint, for connection errors, 5xx and 429
  std::chrono::milliseconds backoff{200};  // before the second try; doubled each time
  size_t parallel_blobs = 4;
  std::chrono::seconds timeout{30};
};

struct FetchedManifest {
  std::string media_type;  // the Content-Type the registry sent
  std::string digest;      // "sha256:<hex>" of the bytes
  std::string body;
};

// One blob to fetch: `restart` empties the caller's target before each try (a retry or a
// fallback to the next endpoint starts over), `write` receives the bytes, and `done` (if
// set) runs on the download thread once all of them are in and verified; its error fails
// the blob.
struct BlobRequest {
  std::string digest;  // "sha256:<hex>" or "sha512:<hex>"
  uint64_t size = 0;
  std::function<Status()> restart;
  BodySink write;
  std::function<Status()> done;
};

struct Progress {
  std::string digest;
  uint64_t bytes = 0, total = 0;
  double bytes_per_second = 0;
  bool done = false;
};
// Called from the download threads, one call at a time.
using ProgressFn = std::function<void(const Progress&)>;

class RegistryClient {
 public:
  explicit RegistryClient(RegistryOptions options) : options_(std::move(options)) {}

  // GET /v2/ on the registry itself: reachable, and the auth it asks for works.
  Status ping(const std::string& domain);
  // A manifest by tag or digest ("latest", "sha256:…").
  Result<FetchedManifest> manifest(const std::string& domain, const std::string& repository,
                                   const std::string& reference);
  Status blob(const std::string& domain, const std::string& repository, const BlobRequest& request,
              const ProgressFn& progress = {});
  // Up to parallel_blobs at once; the first error is returned once all have stopped.
  Status blobs(const std::string& domain, const std::string& repository, const std::vector<BlobRequest>& requests,
               const ProgressFn& progress = {});

 private:
  struct Fetch {
    std::string domain, repository, path;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  Result<HttpResponse> get(const Fetch& f, const std::function<Status()>& restart, const BodySink& sink);
  Result<HttpResponse> get_from(const Endpoint& e, const Fetch& f, const std::function<Status()>& restart,
                                const BodySink& sink);
  Result<HttpResponse> authorized(const HttpClient& http, const Endpoint& e, const Fetch& f, HttpRequest request,
                                  const std::function<Status()>& restart, const BodySink& sink);
  Result<std::string> authorization_for(const HttpClient& http, const Endpoint& e, const Fetch& f,
                                        const Challenge& challenge);

  RegistryOptions options_;
  std::mutex auth_mu_;
  std::map<std::string, std::string> auth_;  // Authorization value by endpoint + repository
  std::mutex progress_mu_;
};

}  // namespace berth::registry
