// config.json: the top level (ociVersion, root, mounts, hooks, annotations) and the checks
// that span sections. process.* lives in spec_parse_process.cc, linux.* in
// spec_parse_linux.cc, spec_parse_resources.cc and spec_parse_seccomp.cc.
#include <string>
#include <utility>

#include "common/file.h"
#include "common/json.h"
#include "runtime/oci/spec.h"
#include "runtime/oci/spec_parse_internal.h"

namespace berth::oci::detail {

Error field_error(const JsonNode& obj, std::string_view key, std::string_view problem) {
  std::string message = obj.path();
  if (!message.empty()) message += '.';
  message += key;
  message += ": ";
  message += problem;
  return Error(EINVAL, std::move(message));
}

Status expect_object(const JsonNode& node) {
  if (!node.is_object()) return node.error("must be an object");
  return ok();
}

Status read_string_map(const JsonNode& obj, std::string_view key, std::map<std::string, std::string>& out) {
  auto f = obj.field(key);
  if (!f) return ok();
  BERTH_ASSIGN(auto members, f->as_object());
  for (auto& [name, value] : members) {
    BERTH_ASSIGN(std::string text, value.as_string());
    out.insert_or_assign(std::move(name), std::move(text));
  }
  return ok();
}

Status read_id_mappings(const JsonNode& obj, std::string_view key, std::vector<IdMapping>& out) {
  return read_list(obj, key, out, [](const JsonNode& item, IdMapping& m) -> Status {
    BERTH_TRY(read_required(item, "containerID", m.container_id));
    BERTH_TRY(read_required(item, "hostID", m.host_id));
    return read_required(item, "size", m.size);
  });
}

Status expect_absolute(const JsonNode& node, std::string_view path) {
  if (path.empty() || path.front() != '/') return node.error("must be an absolute path");
  return ok();
}

Status read_names(const JsonNode& obj, std::string_view key, std::span<const std::string_view> allowed,
                  std::string_view what, std::vector<std::string>& out) {
  return read_each(obj, key, out, [&](const JsonNode& item) -> Result<std::string> {
    BERTH_ASSIGN(std::string name, item.as_string());
    if (!one_of(allowed, name)) return item.error("unknown " + std::string(what) + " " + quoted(name));
    return name;
  });
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// 1.MINOR.PATCH with an optional "-pre" or "+build" tail: every 1.x runtime-spec is
// backwards compatible, so the major number is all that decides whether we understand it.
bool is_supported_version(std::string_view v) {
  size_t tail = v.find_first_of("-+");
  std::string_view core = v.substr(0, tail);
  if (core.substr(0, 2) != "1.") return false;
  core.remove_prefix(2);
  size_t dot = core.find('.');
  if (dot == std::string_view::npos) return false;
  return all_digits(core.substr(0, dot)) && all_digits(core.substr(dot + 1));
}

Status parse_version(const JsonNode& doc, Spec& spec) {
  BERTH_TRY(read_required(doc, "ociVersion", spec.oci_version));
  if (!is_supported_version(spec.oci_version)) {
    return doc.field("ociVersion")->error("unsupported version " + quoted(spec.oci_version) + " (want 1.x.y)");
  }
  return ok();
}

Status parse_root(const JsonNode& doc, Spec& spec) {
  auto node = doc.field("root");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  Root& root = spec.root.emplace();
  BERTH_TRY(read_required(*node, "path", root.path));
  if (root.path.empty()) return node->field("path")->error("must not be empty");
  return read_field(*node, "readonly", root.readonly);
}

// Relative destinations are accepted as runc does (it resolves them against the rootfs);
// nothing is normalised here so that runtime/linux sees exactly what was written.
Status parse_mount(const JsonNode& node, Mount& m) {
  BERTH_TRY(read_required(node, "destination", m.destination));
  if (m.destination.empty()) return node.field("destination")->error("must not be empty");
  BERTH_TRY(read_field(node, "type", m.type));
  BERTH_TRY(read_field(node, "source", m.source));
  BERTH_TRY(read_field(node, "options", m.options));
  BERTH_TRY(read_id_mappings(node, "uidMappings", m.uid_mappings));
  return read_id_mappings(node, "gidMappings", m.gid_mappings);
}

Status parse_hook(const JsonNode& node, Hook& hook) {
  BERTH_TRY(read_required(node, "path", hook.path));
  BERTH_TRY(expect_absolute(*node.field("path"), hook.path));
  BERTH_TRY(read_field(node, "args", hook.args));
  BERTH_TRY(read_field(node, "env", hook.env));
  if (auto t = node.field("timeout")) {
    BERTH_ASSIGN(int32_t seconds, t->as_int32());
    if (seconds <= 0) return t->error("must be greater than zero");
    hook.timeout_seconds = seconds;
  }
  return ok();
}

Status parse_hooks(const JsonNode& doc, Spec& spec) {
  auto node = doc.field("hooks");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  Hooks& h = spec.hooks;
  BERTH_TRY(read_list(*node, "prestart", h.prestart, parse_hook));
  BERTH_TRY(read_list(*node, "createRuntime", h.create_runtime, parse_hook));
  BERTH_TRY(read_list(*node, "createContainer", h.create_container, parse_hook));
  BERTH_TRY(read_list(*node, "startContainer", h.start_container, parse_hook));
  BERTH_TRY(read_list(*node, "poststart", h.poststart, parse_hook));
  return read_list(*node, "poststop", h.poststop, parse_hook);
}

Status parse_annotations(const JsonNode& doc, Spec& spec) {
  BERTH_TRY(read_string_map(doc, "annotations", spec.annotations));
  if (spec.annotations.count("") != 0) return doc.field("annotations")->error("keys must not be empty");
  return ok();
}

// A new user namespace starts with no ids mapped: without mappings nothing in it could
// own a file, so the kernel would refuse the container's first mount anyway.
Status check_user_namespace(const Linux& section) {
  const Namespace* user = section.find_namespace("user");
  if (user == nullptr || !user->path.empty()) return ok();
  if (section.uid_mappings.empty()) return Error(EINVAL, "linux.uidMappings: required with a new user namespace");
  if (section.gid_mappings.empty()) return Error(EINVAL, "linux.gidMappings: required with a new user namespace");
  return ok();
}

// Offsets are written into a time namespace before its first process runs, so they mean
// nothing for a namespace that is joined or absent.
Status check_time_namespace(const Linux& section) {
  if (section.time_offsets.empty()) return ok();
  const Namespace* time = section.find_namespace("time");
  if (time == nullptr || !time->path.empty()) {
    return Error(EINVAL, "linux.timeOffsets: requires a new time namespace");
  }
  return ok();
}

Status parse_linux_section(const JsonNode& doc, Spec& spec) {
  auto node = doc.field("linux");
  if (!node) return ok();
  BERTH_ASSIGN(spec.linux, parse_linux(*node));
  BERTH_TRY(check_user_namespace(*spec.linux));
  return check_time_namespace(*spec.linux);
}

Result<Spec> spec_from_document(const JsonDocument& doc) {
  JsonNode root(doc);
  BERTH_TRY(expect_object(root));
  Spec spec;
  BERTH_TRY(parse_version(root, spec));
  BERTH_TRY(parse_root(root, spec));
  if (auto process = root.field("process")) {
    BERTH_ASSIGN(spec.process, parse_process_object(*process));
  }
  BERTH_TRY(read_field(root, "hostname", spec.hostname));
  BERTH_TRY(read_field(root, "domainname", spec.domainname));
  BERTH_TRY(read_list(root, "mounts", spec.mounts, parse_mount));
  BERTH_TRY(parse_hooks(root, spec));
  BERTH_TRY(parse_annotations(root, spec));
  BERTH_TRY(parse_linux_section(root, spec));
  return spec;
}

}  // namespace
}  // namespace berth::oci::detail

namespace berth::oci {

Result<Spec> parse_spec(std::string_view json) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "config.json"));
  return detail::spec_from_document(doc);
}

Result<Process> parse_process(std::string_view json) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "process.json"));
  return detail::parse_process_object(JsonNode(doc));
}

Result<Spec> load_spec(const std::string& bundle_dir) {
  std::string path = path_join(bundle_dir, "config.json");
  BERTH_ASSIGN(std::string text, read_file(path));
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(text, path));
  return detail::spec_from_document(doc).context(path);
}

}  // namespace berth::oci
