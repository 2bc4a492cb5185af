// String helpers shared by parsers and command lines.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool starts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
// `s` with ASCII letters in lower case (header names, schemes, platform fields).
std::string ascii_lower(std::string_view s);
// The bytes as lowercase hex digits, two per byte, nothing between ("0a1b").
std::string hex_encode(std::span<const uint8_t> bytes);
// Whole-string decimal parses; nullopt on anything else (sign, spaces, overflow).
std::optional<uint64_t> parse_uint(std::string_view s);
std::optional<int64_t> parse_int(std::string_view s);
// A size as docker and runc take it (go-units RAMInBytes): a decimal number, an optional
// space, an optional unit k, m, g, t or p (powers of 1024, any case, "i" and "b" allowed
// after it): "512m", "1.5G", "64MiB", "4096". nullopt on anything else or overflow.
std::optional<int64_t> parse_byte_size(std::string_view s);

}  // namespace berth
