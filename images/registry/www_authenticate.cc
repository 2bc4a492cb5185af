#include "images/registry/www_authenticate.h"

#include "common/strings.h"

namespace berth::registry {
namespace {

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
}

std::string_view token(std::string_view s, size_t& i) {
  const size_t start = i;
  while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '=' && s[i] != ',') ++i;
  return s.substr(start, i - start);
}

// A quoted-string (with \-escapes) or a token, after the '='.
std::string value(std::string_view s, size_t& i) {
  if (i >= s.size() || s[i] != '"') return std::string(token(s, i));
  std::string out;
  for (++i; i < s.size() && s[i] != '"'; ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  if (i < s.size()) ++i;  // the closing quote
  return out;
}

}  // namespace

std::optional<Challenge> parse_www_authenticate(std::string_view header) {
  size_t i = 0;
  std::optional<Challenge> current;
  while (i < header.size()) {
    skip_space(header, i);
    const std::string_view word = token(header, i);
    if (word.empty()) break;
    if (i < header.size() && header[i] == '=') {
      ++i;
      std::string v = value(header, i);
      if (current) current->params.emplace(ascii_lower(word), std::move(v));
      continue;
    }
    // A new scheme: the previous challenge is complete.
    if (current && (current->scheme == "bearer" || current->scheme == "basic")) return current;
    current = Challenge{ascii_lower(word), {}};
  }
  if (current && (current->scheme == "bearer" || current->scheme == "basic")) return current;
  return std::nullopt;
}

}  // namespace berth::registry
