#include "tests/integration/support/config_edit.h"

#include <utility>

namespace berth::integration {

rapidjson::Value string_array(const std::vector<std::string>& items, JsonAllocator& a) {
  rapidjson::Value out(rapidjson::kArrayType);
  for (const auto& s : items) {
    out.PushBack(rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a), a);
  }
  return out;
}

std::vector<std::string> strings_of(const rapidjson::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  for (const auto& e : v.GetArray()) {
    if (e.IsString()) out.emplace_back(e.GetString());
  }
  return out;
}

void set_member(rapidjson::Value& object, const char* name, rapidjson::Value value, JsonAllocator& a) {
  if (object.HasMember(name)) {
    object[name] = value;
  } else {
    object.AddMember(rapidjson::Value(name, a), value, a);
  }
}

void set_json(BundleFixture& fx, const char* section, const char* name, const std::string& json) {
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Document value(&a);
  value.Parse(json.c_str(), json.size());
  ASSERT_FALSE(value.HasParseError()) << json;
  set_member(config[section], name, rapidjson::Value(value, a), a);
}

void set_args(BundleFixture& fx, const std::vector<std::string>& args) {
  auto& config = fx.config();
  set_member(config["process"], "args", string_array(args, config.GetAllocator()), config.GetAllocator());
}

void set_cwd(BundleFixture& fx, const std::string& cwd) {
  auto& config = fx.config();
  config["process"]["cwd"].SetString(cwd.c_str(), config.GetAllocator());
}

void add_mount(BundleFixture& fx, const std::string& destination, const std::string& type, const std::string& source,
               const std::vector<std::string>& options) {
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value m(rapidjson::kObjectType);
  m.AddMember("destination", rapidjson::Value(destination.c_str(), a), a);
  m.AddMember("type", rapidjson::Value(type.c_str(), a), a);
  m.AddMember("source", rapidjson::Value(source.c_str(), a), a);
  m.AddMember("options", string_array(options, a), a);
  config["mounts"].PushBack(m, a);
}

void add_bind_mount(BundleFixture& fx, const std::string& source, const std::string& destination) {
  add_mount(fx, destination, "bind", source, {"rbind", "rw"});
}

void remove_namespace(BundleFixture& fx, const std::string& type) {
  auto& namespaces = fx.config()["linux"]["namespaces"];
  for (auto it = namespaces.Begin(); it != namespaces.End(); ++it) {
    if (type == (*it)["type"].GetString()) {
      namespaces.Erase(it);
      return;
    }
  }
}

void set_namespace(BundleFixture& fx, const std::string& type, const std::string& path) {
  remove_namespace(fx, type);
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  rapidjson::Value ns(rapidjson::kObjectType);
  ns.AddMember("type", rapidjson::Value(type.c_str(), a), a);
  if (!path.empty()) ns.AddMember("path", rapidjson::Value(path.c_str(), a), a);
  config["linux"]["namespaces"].PushBack(ns, a);
}

}  // namespace berth::integration
