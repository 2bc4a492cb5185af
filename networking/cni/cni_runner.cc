#include "networking/cni/cni_runner.h"

#include <rapidjson/document.h>

#include "common/json.h"
#include "common/strings.h"
#include "networking/cni/plugin_exec.h"

namespace berth::cni {
namespace {

using Allocator = rapidjson::Document::AllocatorType;

rapidjson::Value text(const std::string& s, Allocator& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

void set(rapidjson::Document& doc, const char* key, rapidjson::Value value) {
  auto& a = doc.GetAllocator();
  if (doc.HasMember(key)) doc.RemoveMember(key);
  doc.AddMember(rapidjson::Value(key, a), value, a);
}

rapidjson::Value port_mappings_json(const std::vector<PortMapping>& mappings, Allocator& a) {
  rapidjson::Value list(rapidjson::kArrayType);
  for (const auto& p : mappings) {
    rapidjson::Value m(rapidjson::kObjectType);
    m.AddMember("hostPort", p.host_port, a);
    m.AddMember("containerPort", p.container_port, a);
    m.AddMember("protocol", text(p.protocol, a), a);
    if (!p.host_ip.empty()) m.AddMember("hostIP", text(p.host_ip, a), a);
    list.PushBack(m, a);
  }
  return list;
}

// The plugin's configuration with what the runtime injects: name, cniVersion,
// runtimeConfig for the capabilities it declares, prevResult.
Result<std::string> plugin_stdin(const NetworkConfigList& list, const PluginConfig& plugin, const Attachment& a,
                                 const std::string& prev_result) {
  rapidjson::Document doc;
  doc.Parse(plugin.json.data(), plugin.json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return Error(EINVAL, list.file + ": plugin " + plugin.type + ": not an object");
  auto& alloc = doc.GetAllocator();
  set(doc, "name", text(list.name, alloc));
  set(doc, "cniVersion", text(list.cni_version, alloc));
  rapidjson::Value runtime_config(rapidjson::kObjectType);
  for (const auto& cap : plugin.capabilities) {
    if (cap == "portMappings")
      runtime_config.AddMember("portMappings", port_mappings_json(a.port_mappings, alloc), alloc);
  }
  if (runtime_config.MemberCount() > 0) set(doc, "runtimeConfig", std::move(runtime_config));
  if (!prev_result.empty()) {
    rapidjson::Document prev(&alloc);
    prev.Parse(prev_result.data(), prev_result.size());
    if (prev.HasParseError()) return Error(EINVAL, "the previous plugin's result is not JSON");
    set(doc, "prevResult", rapidjson::Value(prev, alloc));
  }
  return json_serialize(doc);
}

std::string cni_args(const Attachment& a) {
  std::vector<std::string> pairs;
  pairs.reserve(a.args.size());
  for (const auto& [k, v] : a.args) pairs.push_back(std::string(k).append("=").append(v));
  return join(pairs, ";");
}

}  // namespace

Result<std::string> CniRunner::invoke(const NetworkConfigList& list, const PluginConfig& plugin,
                                      const std::string& command, const Attachment& a,
                                      const std::string& prev_result) const {
  const std::string what = "CNI network \"" + list.name + "\" plugin " + plugin.type + " (" + command + ")";
  BERTH_ASSIGN(auto binary, find_plugin(plugin.type, options_.plugin_dirs));
  BERTH_ASSIGN(auto input, plugin_stdin(list, plugin, a, prev_result));
  const std::map<std::string, std::string> env = {
      {"CNI_COMMAND", command}, {"CNI_CONTAINERID", a.container_id}, {"CNI_NETNS", a.netns},
      {"CNI_IFNAME", a.ifname}, {"CNI_ARGS", cni_args(a)},           {"CNI_PATH", join(options_.plugin_dirs, ":")},
  };
  auto run = run_plugin(binary, env, input, options_.timeout);
  if (!run) return run.error().context(what);
  if (run->exit_code == 0) return run->out;
  if (auto e = parse_plugin_error(run->out)) {
    std::string msg = "[code " + std::to_string(e->code) + "] " + e->msg;
    if (!e->details.empty()) msg += ": " + e->details;
    return Error(EIO, what + ": " + msg);
  }
  return Error(EIO, what + ": exit status " + std::to_string(run->exit_code) + ": " + run->err + run->out);
}

Status CniRunner::del_plugins(const NetworkConfigList& list, const Attachment& a,
                              const std::string& prev_result) const {
  // Every plugin gets its DEL, in reverse order; the first error is the one reported.
  std::optional<Error> first;
  for (size_t n = list.plugins.size(); n-- > 0;) {
    auto r = invoke(list, list.plugins[n], "DEL", a, prev_result);
    if (!r && !first) first = r.error();
  }
  if (first) return *first;
  return ok();
}

Result<CniResult> CniRunner::add(const NetworkConfigList& list, const Attachment& a) const {
  std::string result;
  for (const auto& plugin : list.plugins) {
    auto out = invoke(list, plugin, "ADD", a, result);
    if (!out) {
      (void)del_plugins(list, a, result);  // undo what the earlier plugins made
      return out.error();
    }
    result = std::move(*out);
  }
  BERTH_ASSIGN(auto parsed, parse_result(result));
  CachedAttachment cached{list.name, a.container_id, a.ifname, a.netns, list.file, list.text, a.port_mappings, result};
  if (auto s = cache_.save(cached); !s) {
    (void)del_plugins(list, a, result);
    return s.error();
  }
  return parsed;
}

Status CniRunner::check(const NetworkConfigList& list, const Attachment& a) const {
  if (list.disable_check) return ok();
  BERTH_ASSIGN(auto cached, cache_.load(list.name, a.container_id, a.ifname));
  if (!cached) return Error(ENOENT, "CNI network \"" + list.name + "\": " + a.container_id + " is not attached");
  for (const auto& plugin : list.plugins) BERTH_TRY(invoke(list, plugin, "CHECK", a, cached->result_json));
  return ok();
}

Status CniRunner::del(const NetworkConfigList& list, const Attachment& a) const {
  BERTH_ASSIGN(auto cached, cache_.load(list.name, a.container_id, a.ifname));
  if (!cached) return del_plugins(list, a, {});
  BERTH_ASSIGN(auto cached_list, parse_network_config(cached->config_text, cached->config_file));
  Attachment with_cached = a;
  with_cached.port_mappings = cached->port_mappings;
  BERTH_TRY(del_plugins(cached_list, with_cached, cached->result_json));
  return cache_.remove(list.name, a.container_id, a.ifname);
}

Result<std::vector<std::string>> CniRunner::versions(const std::string& type) const {
  BERTH_ASSIGN(auto binary, find_plugin(type, options_.plugin_dirs));
  auto run = run_plugin(binary, {{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion":"1.0.0"})", options_.timeout);
  if (!run) return run.error();
  if (run->exit_code != 0) return Error(EIO, "CNI plugin " + type + " (VERSION): " + run->err + run->out);
  return parse_supported_versions(run->out);
}

}  // namespace berth::cni
