// Private to runtime/oci: the pieces config.json parsing is split into, and the small
// readers they share. Every reader names the JSON path in its errors; none allocates
// beyond the value it returns, because the parse runs on every container start.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/result.h"
#include "runtime/oci/spec.h"

namespace berth::oci::detail {

// "<obj path>.<key>: <problem>", for a member that may be absent.
Error field_error(const JsonNode& obj, std::string_view key, std::string_view problem);
// "<obj path>.<key>: required".
inline Error missing(const JsonNode& obj, std::string_view key) { return field_error(obj, key, "required"); }
// An error unless `node` is a JSON object: "<path>: must be an object".
Status expect_object(const JsonNode& node);
// Reads an object whose values are all strings (annotations, sysctl, unified).
Status read_string_map(const JsonNode& obj, std::string_view key, std::map<std::string, std::string>& out);
// Reads [{containerID, hostID, size}, ...] (linux.uidMappings, mounts[].uidMappings).
Status read_id_mappings(const JsonNode& obj, std::string_view key, std::vector<IdMapping>& out);
// Refuses a path that does not start with '/': "<path>: must be an absolute path".
Status expect_absolute(const JsonNode& node, std::string_view path);
// A JSON string literal for messages: "foo" with quotes.
std::string quoted(std::string_view s);

// Whether `s` is one of a fixed set of names (namespace types, policies, operators).
inline bool one_of(std::span<const std::string_view> names, std::string_view s) {
  for (std::string_view n : names) {
    if (n == s) return true;
  }
  return false;
}

// A JSON value converted to T, or an error naming the value's path.
template <typename T>
Result<T> json_as(const JsonNode& node);

template <>
inline Result<std::string> json_as(const JsonNode& node) {
  return node.as_string();
}
template <>
inline Result<bool> json_as(const JsonNode& node) {
  return node.as_bool();
}
template <>
inline Result<int64_t> json_as(const JsonNode& node) {
  return node.as_int64();
}
template <>
inline Result<uint64_t> json_as(const JsonNode& node) {
  return node.as_uint64();
}
template <>
inline Result<uint32_t> json_as(const JsonNode& node) {
  return node.as_uint32();
}
template <>
inline Result<int32_t> json_as(const JsonNode& node) {
  return node.as_int32();
}
template <>
inline Result<uint16_t> json_as(const JsonNode& node) {
  BERTH_ASSIGN(uint64_t v, node.as_uint64());
  if (v > std::numeric_limits<uint16_t>::max()) return node.error("must be at most 65535");
  return static_cast<uint16_t>(v);
}
template <>
inline Result<std::vector<std::string>> json_as(const JsonNode& node) {
  return node.as_string_array();
}

// Reads the optional member `key` of `obj` into `out`; leaves `out` alone when absent.
template <typename T>
Status read_field(const JsonNode& obj, std::string_view key, T& out) {
  auto f = obj.field(key);
  if (!f) return ok();
  BERTH_ASSIGN(out, json_as<T>(*f));
  return ok();
}

template <typename T>
Status read_field(const JsonNode& obj, std::string_view key, std::optional<T>& out) {
  auto f = obj.field(key);
  if (!f) return ok();
  BERTH_ASSIGN(out, json_as<T>(*f));
  return ok();
}

// Like read_field, but a missing member is an error: "<path>.<key>: required".
template <typename T>
Status read_required(const JsonNode& obj, std::string_view key, T& out) {
  auto f = obj.field(key);
  if (!f) return missing(obj, key);
  BERTH_ASSIGN(out, json_as<T>(*f));
  return ok();
}

// Reads each element of the optional array `key` with `parse_one(const JsonNode&) -> Result<T>`
// and appends it to `out`; the first error, which names the element's path, stops the read.
template <typename T, typename Parse>
Status read_each(const JsonNode& obj, std::string_view key, std::vector<T>& out, Parse parse_one) {
  auto node = obj.field(key);
  if (!node) return ok();
  BERTH_ASSIGN(auto items, node->as_array());
  out.reserve(items.size());
  for (const auto& item : items) {
    BERTH_ASSIGN(T value, parse_one(item));
    out.push_back(std::move(value));
  }
  return ok();
}

// Parses each element of the optional array `key`, which must be an object, with
// `parse_one(const JsonNode&, T&) -> Status` into a new element of `out`.
template <typename T, typename Parse>
Status read_list(const JsonNode& obj, std::string_view key, std::vector<T>& out, Parse parse_one) {
  return read_each(obj, key, out, [&parse_one](const JsonNode& item) -> Result<T> {
    BERTH_TRY(expect_object(item));
    T value;
    BERTH_TRY(parse_one(item, value));
    return value;
  });
}

// Reads an optional array of names, each one of `allowed`; an unknown one is reported at
// its index: "linux.seccomp.flags[1]: unknown flag \"X\"".
Status read_names(const JsonNode& obj, std::string_view key, std::span<const std::string_view> allowed,
                  std::string_view what, std::vector<std::string>& out);

Result<Process> parse_process_object(const JsonNode& node);
Result<Linux> parse_linux(const JsonNode& node);
Result<Resources> parse_resources(const JsonNode& node);
Result<Seccomp> parse_seccomp(const JsonNode& node);

}  // namespace berth::oci::detail
