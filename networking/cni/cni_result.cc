#include "networking/cni/cni_result.h"

#include "common/json.h"

namespace berth::cni {
namespace {

Status parse_interfaces(const JsonNode& root, CniResult& r) {
  auto list = root.field("interfaces");
  if (!list) return ok();
  BERTH_ASSIGN(auto items, list->as_array());
  for (const auto& item : items) {
    Interface i;
    BERTH_ASSIGN(i.name, item.optional_string("name"));
    BERTH_ASSIGN(i.mac, item.optional_string("mac"));
    BERTH_ASSIGN(i.sandbox, item.optional_string("sandbox"));
    r.interfaces.push_back(std::move(i));
  }
  return ok();
}

Status parse_ips(const JsonNode& root, CniResult& r) {
  auto list = root.field("ips");
  if (!list) return ok();
  BERTH_ASSIGN(auto items, list->as_array());
  for (const auto& item : items) {
    IpConfig ip;
    auto address = item.field("address");
    if (!address) return item.error("has no \"address\"");
    BERTH_ASSIGN(ip.address, address->as_string());
    BERTH_ASSIGN(ip.gateway, item.optional_string("gateway"));
    if (auto index = item.field("interface")) {
      BERTH_ASSIGN(int32_t n, index->as_int32());
      if (n < 0 || static_cast<size_t>(n) >= r.interfaces.size()) {
        return index->error("names no interface of the result");
      }
      ip.interface = n;
    }
    r.ips.push_back(std::move(ip));
  }
  return ok();
}

Status parse_routes_and_dns(const JsonNode& root, CniResult& r) {
  if (auto list = root.field("routes")) {
    BERTH_ASSIGN(auto items, list->as_array());
    for (const auto& item : items) {
      Route route;
      auto dst = item.field("dst");
      if (!dst) return item.error("has no \"dst\"");
      BERTH_ASSIGN(route.dst, dst->as_string());
      BERTH_ASSIGN(route.gw, item.optional_string("gw"));
      r.routes.push_back(std::move(route));
    }
  }
  if (auto dns = root.field("dns")) {
    if (auto servers = dns->field("nameservers")) {
      BERTH_ASSIGN(r.dns_nameservers, servers->as_string_array());
    }
  }
  return ok();
}

}  // namespace

Result<CniResult> parse_result(std::string_view text) {
  BERTH_ASSIGN(auto doc, JsonDocument::parse(text, "CNI result"));
  JsonNode root(doc);
  if (!root.is_object()) return root.error("a CNI result must be a JSON object");
  CniResult r;
  BERTH_ASSIGN(r.cni_version, root.optional_string("cniVersion"));
  BERTH_TRY(parse_interfaces(root, r));
  BERTH_TRY(parse_ips(root, r));
  BERTH_TRY(parse_routes_and_dns(root, r));
  r.json = std::string(text);
  return r;
}

std::optional<PluginError> parse_plugin_error(std::string_view text) {
  auto doc = JsonDocument::parse(text, "CNI error");
  if (!doc) return std::nullopt;
  JsonNode root(*doc);
  if (!root.is_object()) return std::nullopt;
  auto code = root.field("code");
  auto msg = root.field("msg");
  if (!code || !msg) return std::nullopt;
  PluginError e;
  auto c = code->as_int32();
  auto m = msg->as_string();
  if (!c || !m) return std::nullopt;
  e.code = *c;
  e.msg = *m;
  if (auto details = root.optional_string("details")) e.details = *details;
  return e;
}

Result<std::vector<std::string>> parse_supported_versions(std::string_view text) {
  BERTH_ASSIGN(auto doc, JsonDocument::parse(text, "CNI VERSION output"));
  JsonNode root(doc);
  auto versions = root.field("supportedVersions");
  if (!versions) return root.error("has no \"supportedVersions\"");
  return versions->as_string_array();
}

}  // namespace berth::cni
