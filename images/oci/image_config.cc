#include "images/oci/image_config.h"

#include <algorithm>
#include <cerrno>

#include "common/json.h"
#include "images/oci/descriptor.h"

namespace berth::images {
namespace {

Result<std::optional<std::vector<std::string>>> optional_strings(const JsonNode& node, std::string_view key) {
  auto f = node.field(key);
  if (!f) return std::optional<std::vector<std::string>>();
  BERTH_ASSIGN(auto strings, f->as_string_array());
  return std::optional<std::vector<std::string>>(std::move(strings));
}

// {"80/tcp": {}, ...}: the keys, sorted.
Result<std::vector<std::string>> key_set(const JsonNode& node, std::string_view key) {
  std::vector<std::string> out;
  auto f = node.field(key);
  if (!f) return out;
  BERTH_ASSIGN(auto members, f->as_object());
  for (auto& member : members) {
    if (!member.second.is_object()) return member.second.error("must be an object ({})");
    out.push_back(member.first);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<ContainerDefaults> parse_defaults(const JsonNode& node) {
  if (!node.is_object()) return node.error("must be an object");
  ContainerDefaults d;
  BERTH_ASSIGN(d.entrypoint, optional_strings(node, "Entrypoint"));
  BERTH_ASSIGN(d.cmd, optional_strings(node, "Cmd"));
  BERTH_ASSIGN(auto env, optional_strings(node, "Env"));
  d.env = env.value_or(std::vector<std::string>{});
  for (size_t i = 0; i < d.env.size(); ++i) {
    if (d.env[i].find('=') == std::string::npos) {
      return Error(EINVAL, node.path() + ".Env[" + std::to_string(i) + "]: \"" + d.env[i] + "\" is not KEY=value");
    }
  }
  BERTH_ASSIGN(d.working_dir, node.optional_string("WorkingDir"));
  BERTH_ASSIGN(d.user, node.optional_string("User"));
  BERTH_ASSIGN(d.stop_signal, node.optional_string("StopSignal"));
  BERTH_ASSIGN(d.exposed_ports, key_set(node, "ExposedPorts"));
  BERTH_ASSIGN(d.volumes, key_set(node, "Volumes"));
  if (auto labels = node.field("Labels")) {
    BERTH_ASSIGN(d.labels, parse_string_map(*labels));
  }
  return d;
}

Result<std::vector<Digest>> parse_rootfs(const JsonNode& root) {
  BERTH_ASSIGN(JsonNode rootfs, root.required("rootfs"));
  BERTH_ASSIGN(JsonNode type, rootfs.required("type"));
  BERTH_ASSIGN(std::string type_text, type.as_string());
  if (type_text != "layers") return type.error(R"(must be "layers", got ")" + type_text + "\"");
  BERTH_ASSIGN(JsonNode diff_ids, rootfs.required("diff_ids"));
  BERTH_ASSIGN(auto nodes, diff_ids.as_array());
  std::vector<Digest> out;
  for (const JsonNode& node : nodes) {
    BERTH_ASSIGN(std::string text, node.as_string());
    auto digest = Digest::parse(text);
    if (!digest) return node.error(digest.error().message());
    out.push_back(std::move(digest).value());
  }
  return out;
}

Result<std::vector<HistoryEntry>> parse_history(const JsonNode& root) {
  std::vector<HistoryEntry> out;
  auto history = root.field("history");
  if (!history) return out;
  BERTH_ASSIGN(auto nodes, history->as_array());
  for (const JsonNode& node : nodes) {
    if (!node.is_object()) return node.error("must be an object");
    HistoryEntry h;
    BERTH_ASSIGN(h.created, node.optional_string("created"));
    BERTH_ASSIGN(h.created_by, node.optional_string("created_by"));
    BERTH_ASSIGN(h.author, node.optional_string("author"));
    BERTH_ASSIGN(h.comment, node.optional_string("comment"));
    if (auto empty = node.field("empty_layer")) {
      BERTH_ASSIGN(h.empty_layer, empty->as_bool());
    }
    out.push_back(std::move(h));
  }
  return out;
}

Result<ImageConfig> parse_config_node(const JsonNode& root) {
  if (!root.is_object()) return root.error("must be an object");
  ImageConfig c;
  BERTH_ASSIGN(c.os, root.required_string("os"));
  BERTH_ASSIGN(c.architecture, root.required_string("architecture"));
  BERTH_ASSIGN(c.variant, root.optional_string("variant"));
  BERTH_ASSIGN(c.os_version, root.optional_string("os.version"));
  BERTH_ASSIGN(c.created, root.optional_string("created"));
  BERTH_ASSIGN(c.author, root.optional_string("author"));
  if (auto defaults = root.field("config")) {
    BERTH_ASSIGN(c.config, parse_defaults(*defaults));
  }
  BERTH_ASSIGN(c.diff_ids, parse_rootfs(root));
  BERTH_ASSIGN(c.history, parse_history(root));
  return c;
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view json) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "image config"));
  return parse_config_node(JsonNode(doc)).context("image config");
}

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  out.reserve(diff_ids.size());
  for (const Digest& diff_id : diff_ids) {
    if (out.empty()) {
      out.push_back(diff_id);
    } else {
      out.push_back(Digest::of(out.back().str() + " " + diff_id.str()));
    }
  }
  return out;
}

}  // namespace berth::images
