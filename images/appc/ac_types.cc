#include "images/appc/ac_types.h"

#include <cerrno>

namespace berth::images::appc {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Runs of [a-z0-9] joined by single separators from `separators`, alnum at both ends.
bool matches_runs(std::string_view s, std::string_view separators) {
  if (s.empty()) return false;
  bool after_separator = true;
  for (char c : s) {
    if (is_lower_alnum(c)) {
      after_separator = false;
    } else if (separators.find(c) != std::string_view::npos && !after_separator) {
      after_separator = true;
    } else {
      return false;
    }
  }
  return !after_separator;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

bool is_ac_identifier(std::string_view s) { return matches_runs(s, "-._~/"); }
bool is_ac_name(std::string_view s) { return matches_runs(s, "-"); }

Status check_ac_identifier(std::string_view field, std::string_view value) {
  if (is_ac_identifier(value)) return ok();
  return Error(EINVAL, std::string(field) + ": \"" + std::string(value) +
                           "\" is not an AC identifier (lowercase letters and digits, joined by single "
                           "'-', '.', '_', '~' or '/', starting and ending with a letter or digit)");
}

Status check_ac_name(std::string_view field, std::string_view value) {
  if (is_ac_name(value)) return ok();
  return Error(EINVAL, std::string(field) + ": \"" + std::string(value) +
                           "\" is not an AC name (lowercase letters and digits, joined by single '-')");
}

bool labels_match(const Labels& wanted, const Labels& image) {
  for (const auto& [name, value] : wanted) {
    auto it = image.find(name);
    if (it == image.end() || it->second != value) return false;
  }
  return true;
}

std::string image_id(const Digest& sha512) { return "sha512-" + sha512.hex(); }

Result<std::string> parse_image_id(std::string_view text) {
  constexpr std::string_view kPrefix = "sha512-";
  auto bad = [&](const std::string& why) { return Error(EINVAL, "image ID \"" + std::string(text) + "\": " + why); };
  if (!text.starts_with(kPrefix)) return bad("must start with \"sha512-\" (the only hash AppC allows)");
  std::string_view hex = text.substr(kPrefix.size());
  if (!is_lower_hex(hex)) return bad("the hash must be lowercase hex digits");
  if (hex.size() < kMinImageIdHex) {
    return bad("too short: at least " + std::to_string(kMinImageIdHex) + " hex digits are needed");
  }
  if (hex.size() > 128) return bad("longer than a sha512 (128 hex digits)");
  return std::string(hex);
}

bool image_id_matches(std::string_view query_hex, const Digest& id) {
  return id.algorithm() == DigestAlgorithm::kSha512 && !query_hex.empty() && id.hex().starts_with(query_hex);
}

}  // namespace berth::images::appc
