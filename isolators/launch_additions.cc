#include "isolators/launch_additions.h"

#include <rapidjson/document.h>

#include "common/json.h"

namespace berth::isolators {
namespace {

using Allocator = rapidjson::Document::AllocatorType;

rapidjson::Value text(std::string_view s, Allocator& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// object[name], made as `kind` when it is absent; an error when it is there as another type.
Result<rapidjson::Value*> member(rapidjson::Value& object, const char* name, rapidjson::Type kind, Allocator& a,
                                 std::string_view path) {
  if (!object.HasMember(name)) object.AddMember(rapidjson::Value(name, a), rapidjson::Value(kind), a);
  rapidjson::Value& value = object[name];
  const bool fits = kind == rapidjson::kObjectType ? value.IsObject() : value.IsArray();
  if (!fits)
    return Error(EINVAL,
                 std::string(path) + (kind == rapidjson::kObjectType ? ": must be an object" : ": must be an array"));
  return &value;
}

rapidjson::Value mount_json(const oci::Mount& m, Allocator& a) {
  rapidjson::Value v(rapidjson::kObjectType);
  v.AddMember("destination", text(m.destination, a), a);
  if (!m.type.empty()) v.AddMember("type", text(m.type, a), a);
  v.AddMember("source", text(m.source, a), a);
  rapidjson::Value options(rapidjson::kArrayType);
  for (const auto& o : m.options) options.PushBack(text(o, a), a);
  v.AddMember("options", options, a);
  return v;
}

rapidjson::Value device_json(const oci::Device& d, Allocator& a) {
  rapidjson::Value v(rapidjson::kObjectType);
  v.AddMember("path", text(d.path, a), a);
  v.AddMember("type", text(std::string(1, d.type), a), a);
  v.AddMember("major", d.major, a);
  v.AddMember("minor", d.minor, a);
  if (d.file_mode) v.AddMember("fileMode", *d.file_mode, a);
  if (d.uid) v.AddMember("uid", *d.uid, a);
  if (d.gid) v.AddMember("gid", *d.gid, a);
  return v;
}

// Search paths keep what the image set: the isolator's directories go first.
bool is_search_path(std::string_view name) { return name == "PATH=" || name == "LD_LIBRARY_PATH="; }

// Sets NAME=value in `env`, replacing an entry of the same name (prepending to a search path).
void set_env(rapidjson::Value& env, const std::string& entry, Allocator& a) {
  const auto name = entry.substr(0, entry.find('=') + 1);
  for (auto& e : env.GetArray()) {
    if (!e.IsString() || !std::string_view(e.GetString()).starts_with(name)) continue;
    const std::string_view old_value = std::string_view(e.GetString()).substr(name.size());
    e = text(is_search_path(name) && !old_value.empty() ? entry + ":" + std::string(old_value) : entry, a);
    return;
  }
  env.PushBack(text(entry, a), a);
}

}  // namespace

Result<std::string> add_to_config(std::string_view config_json, const LaunchAdditions& additions) {
  rapidjson::Document doc;
  doc.Parse(config_json.data(), config_json.size());
  if (doc.HasParseError() || !doc.IsObject()) return Error(EINVAL, "config.json: not a JSON object");
  auto& a = doc.GetAllocator();
  if (!additions.mounts.empty()) {
    BERTH_ASSIGN(auto* mounts, member(doc, "mounts", rapidjson::kArrayType, a, "mounts"));
    for (const auto& m : additions.mounts) mounts->PushBack(mount_json(m, a), a);
  }
  if (!additions.devices.empty()) {
    BERTH_ASSIGN(auto* linux, member(doc, "linux", rapidjson::kObjectType, a, "linux"));
    BERTH_ASSIGN(auto* devices, member(*linux, "devices", rapidjson::kArrayType, a, "linux.devices"));
    for (const auto& d : additions.devices) devices->PushBack(device_json(d, a), a);
  }
  if (!additions.env.empty()) {
    BERTH_ASSIGN(auto* process, member(doc, "process", rapidjson::kObjectType, a, "process"));
    BERTH_ASSIGN(auto* env, member(*process, "env", rapidjson::kArrayType, a, "process.env"));
    for (const auto& e : additions.env) set_env(*env, e, a);
  }
  return json_serialize(doc);
}

}  // namespace berth::isolators
