#include "images/registry/url.h"

#include <cctype>

namespace berth::registry {
namespace {

Error bad(std::string_view text, std::string_view why) {
  return Error(EINVAL, "invalid URL \"" + std::string(text) + "\": " + std::string(why));
}

bool valid_port(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  for (char c : p) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return std::stoi(std::string(p)) <= 65535;
}

}  // namespace

Result<Url> Url::parse(std::string_view text) {
  Url u;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return bad(text, "no scheme (http:// or https://)");
  u.scheme = std::string(text.substr(0, scheme_end));
  if (u.scheme != "http" && u.scheme != "https") return bad(text, "the scheme must be http or https");
  std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  u.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (u.target.front() == '?') u.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return bad(text, "credentials in the URL are not accepted");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad(text, "unclosed [ in the host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad(text, "junk after the IPv6 host");
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return bad(text, "no host");
  if (!port.empty() && !valid_port(port)) return bad(text, "the port must be a number up to 65535");
  u.port = port.empty() ? (u.scheme == "https" ? "443" : "80") : std::string(port);
  return u;
}

Result<Url> Url::resolve(std::string_view ref) const {
  if (ref.find("://") != std::string_view::npos) return parse(ref);
  if (ref.empty() || ref.front() != '/') return bad(ref, "a relative reference must start with /");
  Url u = *this;
  u.target = std::string(ref);
  return u;
}

std::string Url::host_port() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + port;
}

std::string Url::str() const { return scheme + "://" + host_port() + target; }

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace berth::registry
