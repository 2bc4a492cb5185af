#include "common/strings.h"

#include <charconv>
#include <cstdint>

namespace berth {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<uint64_t> parse_uint(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

namespace {

// The power of 1024 for a size unit letter (k, m, g, t, p in any case), or 0.
int unit_power(char c) {
  auto at = std::string_view("kmgtp").find(static_cast<char>(c | 0x20));
  return at == std::string_view::npos ? 0 : static_cast<int>(at) + 1;
}

}  // namespace

std::optional<int64_t> parse_byte_size(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  std::string_view number = s.substr(0, i);
  std::string_view unit = s.substr(i);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  int power = 0;
  if (!unit.empty() && (power = unit_power(unit.front())) > 0) unit.remove_prefix(1);
  if (!unit.empty() && (unit.front() == 'i' || unit.front() == 'I')) unit.remove_prefix(1);
  if (!unit.empty() && (unit.front() == 'b' || unit.front() == 'B')) unit.remove_prefix(1);
  if (number.empty() || !unit.empty()) return std::nullopt;
  if (number.find('.') == std::string_view::npos) {
    auto whole = parse_uint(number);
    if (!whole || *whole > static_cast<uint64_t>(INT64_MAX) >> (10 * power)) return std::nullopt;
    return static_cast<int64_t>(*whole << (10 * power));
  }
  // A fraction ("1.5g"): whole bytes, rounded down as go-units does. Integer arithmetic:
  // floating-point from_chars would pull libstdc++'s pmr machinery into every binary.
  auto dot = number.find('.');
  std::string_view whole_text = number.substr(0, dot);
  std::string_view frac_text = number.substr(dot + 1);
  if (frac_text.find('.') != std::string_view::npos || frac_text.size() > 18) return std::nullopt;
  if (whole_text.empty() && frac_text.empty()) return std::nullopt;
  auto whole = whole_text.empty() ? std::optional<uint64_t>(0) : parse_uint(whole_text);
  auto frac = frac_text.empty() ? std::optional<uint64_t>(0) : parse_uint(frac_text);
  if (!whole || !frac || *whole > static_cast<uint64_t>(INT64_MAX) >> (10 * power)) return std::nullopt;
  unsigned __int128 scale = 1;
  for (size_t k = 0; k < frac_text.size(); ++k) scale *= 10;
  unsigned __int128 bytes = (static_cast<unsigned __int128>(*whole) << (10 * power)) +
                            ((static_cast<unsigned __int128>(*frac) << (10 * power)) / scale);
  if (bytes > static_cast<unsigned __int128>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string hex_encode(std::span<const uint8_t> bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace berth
