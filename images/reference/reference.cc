#include "images/reference/reference.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <vector>

#include "common/strings.h"

namespace berth::images {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool has_upper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// component := [a-z0-9]+ ( separator [a-z0-9]+ )*, separator := [._] | __ | -+
bool valid_path_component(std::string_view c) {
  size_t i = 0;
  while (i < c.size()) {
    size_t start = i;
    while (i < c.size() && is_lower_alnum(c[i])) ++i;
    if (i == start) return false;  // empty run: leading, trailing or doubled separator
    if (i == c.size()) return true;
    std::string_view rest = c.substr(i);
    if (starts_with(rest, "__")) {
      i += 2;
    } else if (rest[0] == '.' || rest[0] == '_') {
      i += 1;
    } else if (rest[0] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == c.size()) return false;
  }
  return false;
}

// label := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_label(std::string_view l) {
  if (l.empty() || !is_alnum(l.front()) || !is_alnum(l.back())) return false;
  return std::all_of(l.begin(), l.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_host(std::string_view host) {
  if (starts_with(host, "[")) {  // an IPv6 address in brackets
    if (host.size() < 3 || host.back() != ']') return false;
    std::string_view addr = host.substr(1, host.size() - 2);
    return std::all_of(addr.begin(), addr.end(), [](char c) { return std::isxdigit(c) != 0 || c == ':'; });
  }
  auto labels = split(host, '.');
  return std::all_of(labels.begin(), labels.end(), [](const std::string& l) { return valid_domain_label(l); });
}

bool valid_domain(std::string_view domain) {
  size_t colon = domain.rfind(':');
  size_t bracket = domain.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    std::string_view port = domain.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    domain = domain.substr(0, colon);
  }
  return valid_host(domain);
}

// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > kMaxTagLength || !is_word(t[0])) return false;
  return std::all_of(t.begin(), t.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

bool is_image_id(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'); });
}

// docker's splitDockerDomain: the first of several components is a domain only when it looks
// like one (has a dot or a port, is "localhost", or has uppercase letters).
bool looks_like_domain(std::string_view first) {
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost" || has_upper(first);
}

void split_domain(std::string_view name, std::string& domain, std::string& path) {
  size_t slash = name.find('/');
  std::string_view first = slash == std::string_view::npos ? std::string_view() : name.substr(0, slash);
  if (slash == std::string_view::npos || !looks_like_domain(first)) {
    domain = kDefaultDomain;
    path = name;
  } else {
    domain = first;
    path = name.substr(slash + 1);
  }
  if (domain == "index.docker.io") domain = kDefaultDomain;
  if (domain == kDefaultDomain && path.find('/') == std::string::npos) path = "library/" + path;
}

Result<Reference> parse_parts(std::string_view text) {
  if (text.empty()) return Error(EINVAL, "repository name must have at least one component");
  if (is_image_id(text)) return Error(EINVAL, "cannot specify a 64-byte hexadecimal string (an image id)");
  Reference ref;
  std::string_view name = text;
  if (size_t at = text.find('@'); at != std::string_view::npos) {
    BERTH_ASSIGN(Digest digest, Digest::parse(text.substr(at + 1)));
    ref.digest = std::move(digest);
    name = text.substr(0, at);
  }
  size_t last_slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = name.substr(colon + 1);
    name = name.substr(0, colon);
    if (!valid_tag(ref.tag)) {
      return Error(EINVAL, "tag \"" + ref.tag + "\" must be 1 to 128 of A-Z a-z 0-9 _ . - and start with a letter, " +
                               "digit or _");
    }
  }
  split_domain(name, ref.domain, ref.path);
  if (has_upper(ref.path)) return Error(EINVAL, "repository name must be lowercase");
  if (!valid_domain(ref.domain)) return Error(EINVAL, "invalid domain \"" + ref.domain + "\"");
  for (const std::string& component : split(ref.path, '/')) {
    if (component.empty()) return Error(EINVAL, "repository name has an empty path component");
    if (!valid_path_component(component)) {
      return Error(EINVAL, "path component \"" + component +
                               "\" must be lowercase letters and digits, joined by one of . _ __ or dashes");
    }
  }
  if (ref.name().size() > kMaxNameLength) {
    return Error(EINVAL, "repository name must not be more than " + std::to_string(kMaxNameLength) + " characters");
  }
  return ref;
}

}  // namespace

Result<Reference> Reference::parse(std::string_view text) {
  return parse_parts(text).context("invalid reference \"" + std::string(text) + "\"");
}

Result<Reference> Reference::parse_with_default_tag(std::string_view text) {
  BERTH_ASSIGN(Reference ref, parse(text));
  if (ref.tag.empty() && !ref.digest) ref.tag = kDefaultTag;
  return ref;
}

std::string Reference::name() const { return domain + "/" + path; }

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) return name();
  // "docker.io/a.b/c" without its domain would read back as registry "a.b" (found by fuzzing).
  size_t slash = path.find('/');
  if (slash != std::string::npos && looks_like_domain(std::string_view(path).substr(0, slash))) return name();
  constexpr std::string_view kLibrary = "library/";
  // "library/<64 hex digits>" keeps its "library/": alone it would read back as an image ID.
  if (starts_with(path, kLibrary) && path.find('/', kLibrary.size()) == std::string::npos &&
      !is_image_id(std::string_view(path).substr(kLibrary.size()))) {
    return path.substr(kLibrary.size());
  }
  return path;
}

namespace {
std::string with_suffixes(std::string base, const Reference& ref) {
  if (!ref.tag.empty()) base += ":" + ref.tag;
  if (ref.digest) base += "@" + ref.digest->str();
  return base;
}
}  // namespace

std::string Reference::str() const { return with_suffixes(name(), *this); }
std::string Reference::familiar() const { return with_suffixes(familiar_name(), *this); }

}  // namespace berth::images
