// JSON reading with the path of every value, so that a bad document is reported as
// "process.args[0]: must be a string". Built on RapidJSON; writing uses its Writer directly.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace berth {

// A parsed document; JsonNode values point into it and must not outlive it.
class JsonDocument {
 public:
  static Result<JsonDocument> parse(std::string_view text, std::string_view what);
  [[nodiscard]] const rapidjson::Value& root() const { return *doc_; }

 private:
  std::unique_ptr<rapidjson::Document> doc_;
};

class JsonNode {
 public:
  JsonNode(const rapidjson::Value* value, std::string path) : value_(value), path_(std::move(path)) {}
  explicit JsonNode(const JsonDocument& doc) : value_(&doc.root()) {}

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const rapidjson::Value& raw() const { return *value_; }
  // "path: problem" as an EINVAL error; the root's path is "(root)".
  [[nodiscard]] Error error(std::string_view problem) const;

  [[nodiscard]] bool is_null() const { return value_->IsNull(); }
  [[nodiscard]] bool is_object() const { return value_->IsObject(); }
  [[nodiscard]] bool is_array() const { return value_->IsArray(); }
  [[nodiscard]] bool is_string() const { return value_->IsString(); }

  // The member `key` of an object; nullopt when absent or null (absent optional fields).
  [[nodiscard]] std::optional<JsonNode> field(std::string_view key) const;
  // The member `key` of an object that must be there, or an error naming its path:
  // "layers[1].digest: is required".
  [[nodiscard]] Result<JsonNode> required(std::string_view key) const;
  // The string member `key`; "" when absent or null, an error when it is another type.
  [[nodiscard]] Result<std::string> optional_string(std::string_view key) const;
  // The string member `key` that must be there.
  [[nodiscard]] Result<std::string> required_string(std::string_view key) const;

  [[nodiscard]] Result<std::string> as_string() const;
  [[nodiscard]] Result<bool> as_bool() const;
  [[nodiscard]] Result<int64_t> as_int64() const;
  [[nodiscard]] Result<uint64_t> as_uint64() const;
  [[nodiscard]] Result<uint32_t> as_uint32() const;
  [[nodiscard]] Result<int32_t> as_int32() const;
  [[nodiscard]] Result<std::vector<JsonNode>> as_array() const;
  // Members of an object in document order.
  [[nodiscard]] Result<std::vector<std::pair<std::string, JsonNode>>> as_object() const;
  [[nodiscard]] Result<std::vector<std::string>> as_string_array() const;

 private:
  [[nodiscard]] std::string child_path(std::string_view key) const;
  const rapidjson::Value* value_;
  std::string path_;
};

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Helpers for writers: a string from a std::string_view.
inline void json_string(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void json_key(JsonWriter& w, std::string_view s) { w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

// Re-serializes a parsed value (used to keep unknown sub-documents verbatim).
std::string json_serialize(const rapidjson::Value& value);
// `s` as a JSON string: quoted, with the escapes JSON needs.
std::string json_quote(std::string_view s);

}  // namespace berth
