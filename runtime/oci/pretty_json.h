// Tab-indented JSON output for documents people read and edit (config.json from
// `berth-oci spec`, `berth-oci features`), laid out the way runc lays them out.
// The writer is rapidjson's PrettyWriter: common/json.h's helpers take a plain Writer,
// whose non-virtual String/Key would bypass the indentation, hence these.
#pragma once

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::oci {

class PrettyJson {
 public:
  using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

  PrettyJson() : writer_(buffer_) { writer_.SetIndent('\t', 1); }
  PrettyJson(const PrettyJson&) = delete;
  PrettyJson& operator=(const PrettyJson&) = delete;

  Writer& writer() { return writer_; }
  [[nodiscard]] std::string text() const { return {buffer_.GetString(), buffer_.GetSize()}; }

  void key(std::string_view k) { writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void string(std::string_view s) { writer_.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

  template <typename Strings>
  void strings(const Strings& values) {
    writer_.StartArray();
    for (const auto& s : values) string(s);
    writer_.EndArray();
  }

  // "key": value members of an object.
  void field(std::string_view k, std::string_view value) {
    key(k);
    string(value);
  }
  void bool_field(std::string_view k, bool value) {
    key(k);
    writer_.Bool(value);
  }
  void uint_field(std::string_view k, uint64_t value) {
    key(k);
    writer_.Uint64(value);
  }
  template <typename Strings>
  void string_field(std::string_view k, const Strings& values) {
    key(k);
    strings(values);
  }

 private:
  rapidjson::StringBuffer buffer_;
  Writer writer_;
};

}  // namespace berth::oci
