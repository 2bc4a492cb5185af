// URLs as the registry client needs them: scheme, host, port and request target, parsed
// from text with clear errors, and resolved against a base (a Location header, a token
// realm). Only http and https; never does any I/O.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::registry {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::string port;    // always set: the scheme's default when the text had none
  std::string target;  // path and query, at least "/"

  static Result<Url> parse(std::string_view text);
  // `ref` (absolute, or a path starting with '/') resolved against this URL.
  [[nodiscard]] Result<Url> resolve(std::string_view ref) const;
  [[nodiscard]] std::string host_port() const;  // "127.0.0.1:5000", "[::1]:5000"
  [[nodiscard]] std::string str() const;
};

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

}  // namespace berth::registry
