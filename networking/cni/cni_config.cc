#include "networking/cni/cni_config.h"

#include <algorithm>

#include "common/file.h"
#include "common/json.h"

namespace berth::cni {
namespace {

Result<PluginConfig> parse_plugin(const JsonNode& node) {
  PluginConfig p;
  auto type = node.field("type");
  if (!type) return node.error("has no \"type\" (the plugin to run)");
  BERTH_ASSIGN(p.type, type->as_string());
  if (p.type.empty() || p.type.find('/') != std::string::npos) {
    return type->error("must be a plugin name, not \"" + p.type + "\"");
  }
  if (auto caps = node.field("capabilities")) {
    BERTH_ASSIGN(auto entries, caps->as_object());
    for (const auto& [name, value] : entries) {
      BERTH_ASSIGN(bool on, value.as_bool());
      if (on) p.capabilities.push_back(name);
    }
  }
  p.json = json_serialize(node.raw());
  return p;
}

bool is_config_file(const std::string& name) {
  return name.ends_with(".conflist") || name.ends_with(".conf") || name.ends_with(".json");
}

}  // namespace

Result<NetworkConfigList> parse_network_config(std::string_view text, const std::string& file) {
  BERTH_ASSIGN(auto doc, JsonDocument::parse(text, file));
  JsonNode root(doc);
  NetworkConfigList list;
  list.file = file;
  list.text = std::string(text);
  auto fail = [&](const Error& e) { return e.context("CNI configuration " + file); };
  auto name = root.field("name");
  if (!name) return fail(root.error("has no \"name\""));
  auto n = name->as_string();
  if (!n) return fail(n.error());
  list.name = *n;
  if (auto version = root.field("cniVersion")) {
    auto v = version->as_string();
    if (!v) return fail(v.error());
    list.cni_version = *v;
  }
  if (auto disable = root.field("disableCheck")) {
    auto d = disable->as_bool();
    if (!d) return fail(d.error());
    list.disable_check = *d;
  }
  auto plugins = root.field("plugins");
  if (!plugins) {
    // A single plugin's configuration file.
    auto p = parse_plugin(root);
    if (!p) return fail(p.error());
    list.plugins.push_back(std::move(*p));
    return list;
  }
  auto items = plugins->as_array();
  if (!items) return fail(items.error());
  if (items->empty()) return fail(plugins->error("must list at least one plugin"));
  for (const auto& item : *items) {
    auto p = parse_plugin(item);
    if (!p) return fail(p.error());
    list.plugins.push_back(std::move(*p));
  }
  return list;
}

Result<std::vector<NetworkConfigList>> load_network_configs(const std::string& dir) {
  BERTH_ASSIGN(auto names, list_dir(dir));
  std::sort(names.begin(), names.end());
  std::vector<NetworkConfigList> out;
  for (const auto& name : names) {
    if (!is_config_file(name)) continue;
    const std::string path = path_join(dir, name);
    BERTH_ASSIGN(auto text, read_file(path));
    BERTH_ASSIGN(auto list, parse_network_config(text, path));
    out.push_back(std::move(list));
  }
  return out;
}

Result<NetworkConfigList> find_network_config(const std::string& dir, const std::string& name) {
  BERTH_ASSIGN(auto lists, load_network_configs(dir));
  if (lists.empty()) return Error(ENOENT, "no CNI network configuration in " + dir);
  if (name.empty()) return lists.front();
  std::string known;
  for (auto& l : lists) {
    if (l.name == name) return std::move(l);
    known += (known.empty() ? "" : ", ") + l.name;
  }
  return Error(ENOENT, "no CNI network \"" + name + "\" in " + dir + " (it has: " + known + ")");
}

}  // namespace berth::cni
