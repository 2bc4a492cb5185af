#include "common/json.h"

#include <rapidjson/error/en.h>

#include <limits>

namespace berth {

Result<JsonDocument> JsonDocument::parse(std::string_view text, std::string_view what) {
  JsonDocument out;
  out.doc_ = std::make_unique<rapidjson::Document>();
  out.doc_->Parse<rapidjson::kParseStopWhenDoneFlag>(text.data(), text.size());
  if (out.doc_->HasParseError()) {
    size_t offset = out.doc_->GetErrorOffset();
    size_t line = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n' ? 1 : 0;
    return Error(EINVAL, std::string(what) + ": invalid JSON at line " + std::to_string(line) + " (byte " +
                             std::to_string(offset) + "): " + rapidjson::GetParseError_En(out.doc_->GetParseError()));
  }
  return out;
}

Error JsonNode::error(std::string_view problem) const {
  return Error(EINVAL, (path_.empty() ? std::string("(root)") : path_) + ": " + std::string(problem));
}

std::string JsonNode::child_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

std::optional<JsonNode> JsonNode::field(std::string_view key) const {
  if (!value_->IsObject()) return std::nullopt;
  auto it = value_->FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
  if (it == value_->MemberEnd() || it->value.IsNull()) return std::nullopt;
  return JsonNode(&it->value, child_path(key));
}

Result<std::string> JsonNode::as_string() const {
  if (!value_->IsString()) return error("must be a string");
  return std::string(value_->GetString(), value_->GetStringLength());
}

Result<JsonNode> JsonNode::required(std::string_view key) const {
  if (!is_object()) return error("must be an object");
  auto f = field(key);
  if (f) return *f;
  std::string member = path().empty() ? std::string(key) : path() + "." + std::string(key);
  return Error(EINVAL, member + ": is required");
}

Result<std::string> JsonNode::optional_string(std::string_view key) const {
  auto f = field(key);
  if (!f) return std::string();
  return f->as_string();
}

Result<std::string> JsonNode::required_string(std::string_view key) const {
  BERTH_ASSIGN(JsonNode f, required(key));
  return f.as_string();
}

Result<bool> JsonNode::as_bool() const {
  if (!value_->IsBool()) return error("must be a boolean");
  return value_->GetBool();
}

Result<int64_t> JsonNode::as_int64() const {
  if (value_->IsInt64()) return value_->GetInt64();
  return error("must be an integer");
}

Result<uint64_t> JsonNode::as_uint64() const {
  if (value_->IsUint64()) return value_->GetUint64();
  if (value_->IsInt64()) return error("must not be negative");
  return error("must be an integer");
}

Result<uint32_t> JsonNode::as_uint32() const {
  BERTH_ASSIGN(uint64_t v, as_uint64());
  if (v > std::numeric_limits<uint32_t>::max()) return error("must be at most 4294967295");
  return static_cast<uint32_t>(v);
}

Result<int32_t> JsonNode::as_int32() const {
  BERTH_ASSIGN(int64_t v, as_int64());
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return error("does not fit a 32-bit integer");
  }
  return static_cast<int32_t>(v);
}

Result<std::vector<JsonNode>> JsonNode::as_array() const {
  if (!value_->IsArray()) return error("must be an array");
  std::vector<JsonNode> out;
  out.reserve(value_->Size());
  for (rapidjson::SizeType i = 0; i < value_->Size(); ++i) {
    out.emplace_back(&(*value_)[i], path_ + "[" + std::to_string(i) + "]");
  }
  return out;
}

Result<std::vector<std::pair<std::string, JsonNode>>> JsonNode::as_object() const {
  if (!value_->IsObject()) return error("must be an object");
  std::vector<std::pair<std::string, JsonNode>> out;
  for (auto it = value_->MemberBegin(); it != value_->MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    out.emplace_back(key, JsonNode(&it->value, child_path(key)));
  }
  return out;
}

Result<std::vector<std::string>> JsonNode::as_string_array() const {
  BERTH_ASSIGN(auto items, as_array());
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    BERTH_ASSIGN(auto s, item.as_string());
    out.push_back(std::move(s));
  }
  return out;
}

std::string json_serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  value.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

std::string json_quote(std::string_view s) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  json_string(w, s);
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace berth
