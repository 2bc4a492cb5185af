#include "images/appc/image_manifest.h"

#include <algorithm>
#include <cerrno>
#include <set>

#include "common/json.h"
#include "common/strings.h"

namespace berth::images::appc {
namespace {

using NameValues = std::vector<std::pair<std::string, std::string>>;
using NameCheck = Status (*)(std::string_view field, std::string_view value);

// [{"name": ..., "value": ...}]: names checked by `check` and unique within the list.
Result<NameValues> parse_name_values(const JsonNode& list, NameCheck check) {
  BERTH_ASSIGN(auto items, list.as_array());
  NameValues out;
  std::set<std::string> seen;
  for (const auto& item : items) {
    if (!item.is_object()) return item.error(R"(must be an object with "name" and "value")");
    auto name_node = item.field("name");
    if (!name_node) return item.error("\"name\" is required");
    BERTH_ASSIGN(std::string name, name_node->as_string());
    if (check != nullptr) BERTH_TRY(check(name_node->path(), name));
    if (!seen.insert(name).second) return name_node->error("\"" + name + "\" appears twice");
    BERTH_ASSIGN(std::string value, item.optional_string("value"));
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

Result<Labels> parse_labels(const JsonNode& list) {
  BERTH_ASSIGN(NameValues pairs, parse_name_values(list, check_ac_identifier));
  Labels out;
  for (auto& [name, value] : pairs) {
    if (name == "name") return list.error("a label cannot be called \"name\" (that is the image's name)");
    out.emplace(std::move(name), std::move(value));
  }
  return out;
}

// "MAJOR.MINOR.PATCH" (pre-release and build suffixes allowed); only the 0.x series exists.
Status check_ac_version(const JsonNode& node, const std::string& version) {
  std::string core = version.substr(0, version.find_first_of("-+"));
  auto parts = split(core, '.');
  bool numeric = parts.size() == 3 && std::all_of(parts.begin(), parts.end(),
                                                  [](const std::string& p) { return parse_uint(p).has_value(); });
  if (!numeric) return node.error("\"" + version + "\" is not a semantic version (MAJOR.MINOR.PATCH)");
  if (parts[0] != "0") return node.error("version " + version + " is not in the AppC 0.x series berth reads");
  return ok();
}

Result<uint16_t> parse_port_number(const JsonNode& node, uint64_t min) {
  BERTH_ASSIGN(uint64_t v, node.as_uint64());
  if (v < min || v > 65535) return node.error("must be " + std::to_string(min) + "..65535");
  return static_cast<uint16_t>(v);
}

Result<Port> parse_port(const JsonNode& node) {
  Port p;
  BERTH_ASSIGN(p.name, node.optional_string("name"));
  BERTH_TRY(check_ac_name(node.path() + ".name", p.name));
  BERTH_ASSIGN(p.protocol, node.optional_string("protocol"));
  if (p.protocol.empty()) return node.error("\"protocol\" is required");
  auto port = node.field("port");
  if (!port) return node.error("\"port\" is required");
  BERTH_ASSIGN(p.port, parse_port_number(*port, 1));
  if (auto count = node.field("count")) {
    BERTH_ASSIGN(p.count, parse_port_number(*count, 1));
    if (uint32_t{p.port} + p.count - 1 > 65535) return count->error("the range ends beyond port 65535");
  }
  if (auto sa = node.field("socketActivated")) {
    BERTH_ASSIGN(p.socket_activated, sa->as_bool());
  }
  return p;
}

Result<MountPoint> parse_mount_point(const JsonNode& node) {
  MountPoint m;
  BERTH_ASSIGN(m.name, node.optional_string("name"));
  BERTH_TRY(check_ac_name(node.path() + ".name", m.name));
  BERTH_ASSIGN(m.path, node.optional_string("path"));
  if (!m.path.starts_with('/')) return node.error(R"("path" must be an absolute path, not ")" + m.path + "\"");
  if (auto ro = node.field("readOnly")) {
    BERTH_ASSIGN(m.read_only, ro->as_bool());
  }
  return m;
}

template <typename T>
Result<std::vector<T>> parse_list(const JsonNode& parent, std::string_view key,
                                  Result<T> (*parse_one)(const JsonNode&)) {
  std::vector<T> out;
  auto list = parent.field(key);
  if (!list) return out;
  BERTH_ASSIGN(auto items, list->as_array());
  for (const auto& item : items) {
    if (!item.is_object()) return item.error("must be an object");
    BERTH_ASSIGN(T one, parse_one(item));
    out.push_back(std::move(one));
  }
  return out;
}

Status check_environment_name(std::string_view field, std::string_view name) {
  bool valid =
      !name.empty() && !(name[0] >= '0' && name[0] <= '9') && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      });
  if (valid) return ok();
  return Error(EINVAL, std::string(field) + ": \"" + std::string(name) +
                           "\" is not an environment variable name (letters, digits and '_', not starting with "
                           "a digit)");
}

Status parse_exec_and_identity(const JsonNode& node, App& app) {
  auto exec = node.field("exec");
  if (!exec) return node.error("\"exec\" is required");
  BERTH_ASSIGN(app.exec, exec->as_string_array());
  if (app.exec.empty()) return exec->error("must not be empty");
  if (!app.exec[0].starts_with('/')) return exec->error("the executable \"" + app.exec[0] + "\" must be absolute");
  BERTH_ASSIGN(app.user, node.optional_string("user"));
  BERTH_ASSIGN(app.group, node.optional_string("group"));
  if (app.user.empty()) return node.error("\"user\" is required");
  if (app.group.empty()) return node.error("\"group\" is required");
  BERTH_ASSIGN(app.working_directory, node.optional_string("workingDirectory"));
  if (!app.working_directory.empty() && !app.working_directory.starts_with('/')) {
    return node.error(R"("workingDirectory" must be an absolute path, not ")" + app.working_directory + "\"");
  }
  return ok();
}

Result<App> parse_app(const JsonNode& node, std::vector<std::string>& warnings) {
  if (!node.is_object()) return node.error("must be an object");
  App app;
  BERTH_TRY(parse_exec_and_identity(node, app));
  if (auto env = node.field("environment")) {
    BERTH_ASSIGN(app.environment, parse_name_values(*env, check_environment_name));
  }
  BERTH_ASSIGN(app.mount_points, parse_list<MountPoint>(node, "mountPoints", parse_mount_point));
  BERTH_ASSIGN(app.ports, parse_list<Port>(node, "ports", parse_port));
  if (auto isolators = node.field("isolators")) {
    BERTH_ASSIGN(auto items, isolators->as_array());
    for (const auto& item : items) {
      BERTH_ASSIGN(std::string name, item.optional_string("name"));
      BERTH_TRY(check_ac_identifier(item.path() + ".name", name));
      warnings.push_back(item.path() + ": isolator \"" + name + "\" is ignored (berth sets limits itself)");
    }
  }
  if (node.field("eventHandlers"))
    warnings.emplace_back("app.eventHandlers: ignored (berth runs no pre-start/post-stop)");
  return app;
}

Result<Dependency> parse_dependency(const JsonNode& node) {
  Dependency d;
  BERTH_ASSIGN(d.image_name, node.optional_string("imageName"));
  BERTH_TRY(check_ac_identifier(node.path() + ".imageName", d.image_name));
  BERTH_ASSIGN(std::string id, node.optional_string("imageID"));
  if (!id.empty()) {
    BERTH_ASSIGN(d.image_id, parse_image_id(id).context(node.path() + ".imageID"));
  }
  if (auto labels = node.field("labels")) {
    BERTH_ASSIGN(d.labels, parse_labels(*labels));
  }
  if (auto size = node.field("size")) {
    BERTH_ASSIGN(d.size, size->as_uint64());
  }
  return d;
}

Result<std::vector<std::string>> parse_whitelist(const JsonNode& list) {
  BERTH_ASSIGN(auto paths, list.as_string_array());
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!paths[i].starts_with('/')) {
      return Error(EINVAL, list.path() + "[" + std::to_string(i) + "]: \"" + paths[i] + "\" must be absolute");
    }
  }
  return paths;
}

Status parse_header(const JsonNode& root, ImageManifest& m) {
  BERTH_ASSIGN(std::string kind, root.optional_string("acKind"));
  if (kind != "ImageManifest") {
    return Error(EINVAL, R"(acKind: must be "ImageManifest", not ")" + kind + "\"");
  }
  auto version = root.field("acVersion");
  if (!version) return Error(EINVAL, "acVersion: required");
  BERTH_ASSIGN(m.ac_version, version->as_string());
  BERTH_TRY(check_ac_version(*version, m.ac_version));
  BERTH_ASSIGN(m.name, root.optional_string("name"));
  return check_ac_identifier("name", m.name);
}

Result<ImageManifest> parse_document(const JsonNode& root) {
  if (!root.is_object()) return root.error("must be a JSON object");
  ImageManifest m;
  BERTH_TRY(parse_header(root, m));
  if (auto labels = root.field("labels")) {
    BERTH_ASSIGN(m.labels, parse_labels(*labels));
  }
  if (auto app = root.field("app")) {
    BERTH_ASSIGN(m.app, parse_app(*app, m.warnings));
  }
  BERTH_ASSIGN(m.dependencies, parse_list<Dependency>(root, "dependencies", parse_dependency));
  if (auto list = root.field("pathWhitelist")) {
    BERTH_ASSIGN(m.path_whitelist, parse_whitelist(*list));
  }
  if (auto annotations = root.field("annotations")) {
    BERTH_ASSIGN(NameValues pairs, parse_name_values(*annotations, check_ac_identifier));
    m.annotations.insert(pairs.begin(), pairs.end());
  }
  return m;
}

}  // namespace

Result<ImageManifest> parse_image_manifest(std::string_view json) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "image manifest"));
  return parse_document(JsonNode(doc)).context("image manifest");
}

ContainerDefaults container_defaults(const ImageManifest& manifest) {
  ContainerDefaults d;
  d.labels.insert(manifest.labels.begin(), manifest.labels.end());
  d.labels["appc.name"] = manifest.name;
  if (!manifest.app) return d;
  const App& app = *manifest.app;
  d.entrypoint = app.exec;
  d.cmd = std::vector<std::string>{};  // exec is the whole command line: nothing to append
  for (const auto& [name, value] : app.environment) {
    d.env.push_back(name);
    d.env.back().append("=").append(value);
  }
  d.working_dir = app.working_directory.empty() ? "/" : app.working_directory;
  d.user = app.user + ":" + app.group;
  std::set<std::string> exposed;
  for (const Port& p : app.ports) {
    for (uint32_t n = p.port; n < uint32_t{p.port} + p.count; ++n) exposed.insert(std::to_string(n) + "/" + p.protocol);
  }
  d.exposed_ports.assign(exposed.begin(), exposed.end());
  for (const MountPoint& m : app.mount_points) d.volumes.push_back(m.path);
  std::sort(d.volumes.begin(), d.volumes.end());
  return d;
}

}  // namespace berth::images::appc
