// A small HTTP/1.1 client for the registry protocol over Boost.Beast: plain HTTP or HTTPS
// (OpenSSL, the system CAs, host name verification unless told not to), redirects followed
// (Authorization dropped when the host changes), bodies streamed to a sink. One connection
// per request; Beast's exceptions stop here.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "images/registry/url.h"

namespace berth::registry {

struct HttpRequest {
  std::string method = "GET";
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;                            // unless streamed to a sink (capped at 1 MiB)
  Url url;                                     // where it came from, after redirects
  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

// Receives the body of a 2xx response chunk by chunk; an error stops the transfer.
using BodySink = std::function<Status(std::string_view chunk)>;

struct HttpOptions {
  bool verify_tls = true;
  std::chrono::seconds timeout{30};  // per socket read or write
  int max_redirects = 5;
  // Asked before a redirect is followed; an error stops the request (a caller that allows
  // plain HTTP only to some hosts refuses a redirect elsewhere). Unset: all are followed.
  std::function<Status(const Url& next)> check_redirect;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {}) : options_(std::move(options)) {}
  // An error when no answer came (resolve, connect, TLS, I/O); any HTTP status is an answer.
  [[nodiscard]] Result<HttpResponse> send(const HttpRequest& request, const BodySink& sink = {}) const;

 private:
  [[nodiscard]] Result<HttpResponse> send_once(const HttpRequest& request, const BodySink& sink) const;
  HttpOptions options_;
};

}  // namespace berth::registry
