// String helpers shared by parsers and command lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool starts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
// Whole-string decimal parses; nullopt on anything else (sign, spaces, overflow).
std::optional<uint64_t> parse_uint(std::string_view s);
std::optional<int64_t> parse_int(std::string_view s);

}  // namespace berth
