#include "networking/cni/cni_cache.h"

#include <unistd.h>

#include <cerrno>

#include "common/file.h"
#include "common/json.h"

namespace berth::cni {
namespace {

std::string to_json(const CachedAttachment& a) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("version");
  w.Int(CachedAttachment::kVersion);
  const std::pair<const char*, const std::string*> strings[] = {
      {"network", &a.network},        {"containerId", &a.container_id}, {"ifName", &a.ifname},      {"netns", &a.netns},
      {"configFile", &a.config_file}, {"config", &a.config_text},       {"result", &a.result_json},
  };
  for (const auto& [key, value] : strings) {
    w.Key(key);
    json_string(w, *value);
  }
  w.Key("portMappings");
  w.StartArray();
  for (const auto& p : a.port_mappings) {
    w.StartObject();
    w.Key("hostPort");
    w.Uint(p.host_port);
    w.Key("containerPort");
    w.Uint(p.container_port);
    w.Key("protocol");
    json_string(w, p.protocol);
    w.Key("hostIP");
    json_string(w, p.host_ip);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

Result<std::string> string_field(const JsonNode& root, std::string_view key) {
  auto f = root.field(key);
  if (!f) return root.error("has no \"" + std::string(key) + "\"");
  return f->as_string();
}

Result<uint16_t> port_field(const JsonNode& node, std::string_view key) {
  auto f = node.field(key);
  if (!f) return node.error("has no \"" + std::string(key) + "\"");
  BERTH_ASSIGN(uint32_t port, f->as_uint32());
  if (port > 65535) return f->error("is not a port");
  return static_cast<uint16_t>(port);
}

Result<CachedAttachment> from_json(const std::string& text, const std::string& path) {
  BERTH_ASSIGN(auto doc, JsonDocument::parse(text, path));
  JsonNode root(doc);
  auto version = root.field("version");
  if (!version) return root.error("has no \"version\"").context(path);
  BERTH_ASSIGN(int32_t v, version->as_int32());
  if (v > CachedAttachment::kVersion)
    return Error(EINVAL, path + ": version " + std::to_string(v) + " is newer than this berth");
  CachedAttachment a;
  BERTH_ASSIGN(a.network, string_field(root, "network"));
  BERTH_ASSIGN(a.container_id, string_field(root, "containerId"));
  BERTH_ASSIGN(a.ifname, string_field(root, "ifName"));
  BERTH_ASSIGN(a.netns, string_field(root, "netns"));
  BERTH_ASSIGN(a.config_file, string_field(root, "configFile"));
  BERTH_ASSIGN(a.config_text, string_field(root, "config"));
  BERTH_ASSIGN(a.result_json, string_field(root, "result"));
  if (auto mappings = root.field("portMappings")) {
    BERTH_ASSIGN(auto items, mappings->as_array());
    for (const auto& item : items) {
      PortMapping p;
      BERTH_ASSIGN(p.host_port, port_field(item, "hostPort"));
      BERTH_ASSIGN(p.container_port, port_field(item, "containerPort"));
      BERTH_ASSIGN(p.protocol, string_field(item, "protocol"));
      BERTH_ASSIGN(p.host_ip, string_field(item, "hostIP"));
      a.port_mappings.push_back(std::move(p));
    }
  }
  return a;
}

}  // namespace

std::string CniCache::path_of(const std::string& network, const std::string& container_id,
                              const std::string& ifname) const {
  return path_join(dir_, network + "-" + container_id + "-" + ifname + ".json");
}

Status CniCache::save(const CachedAttachment& a) const {
  BERTH_TRY(mkdir_p(dir_));
  return write_file_atomic(path_of(a.network, a.container_id, a.ifname), to_json(a), 0600)
      .context("cache the CNI result of " + a.container_id);
}

Result<std::optional<CachedAttachment>> CniCache::load(const std::string& network, const std::string& container_id,
                                                       const std::string& ifname) const {
  const std::string path = path_of(network, container_id, ifname);
  auto text = read_file(path);
  if (!text) {
    if (text.error().code() == ENOENT) return std::optional<CachedAttachment>();
    return std::move(text).error();
  }
  BERTH_ASSIGN(auto a, from_json(*text, path));
  return std::optional<CachedAttachment>(std::move(a));
}

Status CniCache::remove(const std::string& network, const std::string& container_id, const std::string& ifname) const {
  const std::string path = path_of(network, container_id, ifname);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove " + path);
  return ok();
}

}  // namespace berth::cni
