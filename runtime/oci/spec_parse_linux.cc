// config.json "linux": namespaces, id mappings, devices, mount propagation, masked and
// read-only paths, personality, time offsets. Resources and seccomp have their own files.
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/oci/spec.h"
#include "runtime/oci/spec_parse_internal.h"

namespace berth::oci::detail {
namespace {

constexpr std::array<std::string_view, 8> kNamespaceTypes{"pid", "network", "mount",  "ipc",
                                                          "uts", "user",    "cgroup", "time"};
constexpr std::array<std::string_view, 8> kPropagations{"shared",  "slave",  "private",  "unbindable",
                                                        "rshared", "rslave", "rprivate", "runbindable"};
constexpr std::array<std::string_view, 2> kPersonalityDomains{"LINUX", "LINUX32"};
constexpr std::array<std::string_view, 2> kTimeOffsetClocks{"monotonic", "boottime"};

Result<Namespace> parse_namespace(const JsonNode& node) {
  BERTH_TRY(expect_object(node));
  Namespace ns;
  BERTH_TRY(read_required(node, "type", ns.type));
  if (!one_of(kNamespaceTypes, ns.type)) return node.field("type")->error("unknown namespace " + quoted(ns.type));
  if (auto path = node.field("path")) {
    BERTH_ASSIGN(ns.path, path->as_string());
    // An empty path is how some engines spell "create a new one".
    if (!ns.path.empty()) BERTH_TRY(expect_absolute(*path, ns.path));
  }
  return ns;
}

Status parse_namespaces(const JsonNode& linux_node, Linux& out) {
  return read_each(linux_node, "namespaces", out.namespaces, [&out](const JsonNode& item) -> Result<Namespace> {
    BERTH_ASSIGN(Namespace ns, parse_namespace(item));
    // One process is in one namespace of each type: a second entry cannot be honoured.
    if (out.find_namespace(ns.type) != nullptr) {
      return item.field("type")->error("duplicate namespace " + quoted(ns.type));
    }
    return ns;
  });
}

Status parse_device(const JsonNode& node, Device& dev) {
  BERTH_TRY(read_required(node, "path", dev.path));
  BERTH_TRY(expect_absolute(*node.field("path"), dev.path));
  std::string type;
  BERTH_TRY(read_required(node, "type", type));
  if (type != "c" && type != "b" && type != "u" && type != "p") {
    return node.field("type")->error("unknown device type " + quoted(type));
  }
  dev.type = type[0];
  // A fifo has no device number; every other node needs both halves of one.
  auto read_number = [&node, &type](std::string_view key, int64_t& out) -> Status {
    auto f = node.field(key);
    if (!f) return field_error(node, key, "required for type " + quoted(type));
    BERTH_ASSIGN(out, f->as_int64());
    return ok();
  };
  if (dev.type != 'p') {
    BERTH_TRY(read_number("major", dev.major));
    BERTH_TRY(read_number("minor", dev.minor));
  }
  BERTH_TRY(read_field(node, "fileMode", dev.file_mode));
  BERTH_TRY(read_field(node, "uid", dev.uid));
  return read_field(node, "gid", dev.gid);
}

Status parse_personality(const JsonNode& linux_node, Linux& out) {
  auto node = linux_node.field("personality");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  PersonalityDomain& p = out.personality.emplace();
  BERTH_TRY(read_required(*node, "domain", p.domain));
  if (!one_of(kPersonalityDomains, p.domain)) {
    return node->field("domain")->error("unknown domain " + quoted(p.domain));
  }
  return read_field(*node, "flags", p.flags);
}

Status parse_time_offsets(const JsonNode& linux_node, Linux& out) {
  auto node = linux_node.field("timeOffsets");
  if (!node) return ok();
  BERTH_ASSIGN(auto members, node->as_object());
  for (auto& [clock, value] : members) {
    if (!one_of(kTimeOffsetClocks, clock)) return value.error("unknown clock (want monotonic or boottime)");
    BERTH_TRY(expect_object(value));
    TimeOffset offset;
    BERTH_TRY(read_field(value, "secs", offset.secs));
    BERTH_TRY(read_field(value, "nanosecs", offset.nanosecs));
    if (offset.nanosecs >= 1'000'000'000U) return value.field("nanosecs")->error("must be below 1000000000");
    out.time_offsets.insert_or_assign(std::move(clock), offset);
  }
  return ok();
}

Status parse_paths(const JsonNode& linux_node, Linux& out) {
  BERTH_TRY(read_field(linux_node, "rootfsPropagation", out.rootfs_propagation));
  if (!out.rootfs_propagation.empty() && !one_of(kPropagations, out.rootfs_propagation)) {
    return linux_node.field("rootfsPropagation")->error("unknown propagation " + quoted(out.rootfs_propagation));
  }
  BERTH_TRY(read_field(linux_node, "maskedPaths", out.masked_paths));
  BERTH_TRY(read_field(linux_node, "readonlyPaths", out.readonly_paths));
  BERTH_TRY(read_field(linux_node, "mountLabel", out.mount_label));
  return read_field(linux_node, "cgroupsPath", out.cgroups_path);
}

Status parse_intel_rdt(const JsonNode& linux_node, Linux& out) {
  auto node = linux_node.field("intelRdt");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  return read_field(*node, "closID", out.intel_rdt_clos_id);
}

}  // namespace

Result<Linux> parse_linux(const JsonNode& node) {
  BERTH_TRY(expect_object(node));
  Linux out;
  BERTH_TRY(read_id_mappings(node, "uidMappings", out.uid_mappings));
  BERTH_TRY(read_id_mappings(node, "gidMappings", out.gid_mappings));
  BERTH_TRY(read_string_map(node, "sysctl", out.sysctl));
  if (auto resources = node.field("resources")) {
    BERTH_ASSIGN(out.resources, parse_resources(*resources));
  }
  BERTH_TRY(parse_namespaces(node, out));
  BERTH_TRY(read_list(node, "devices", out.devices, parse_device));
  if (auto seccomp = node.field("seccomp")) {
    BERTH_ASSIGN(out.seccomp, parse_seccomp(*seccomp));
  }
  BERTH_TRY(parse_paths(node, out));
  BERTH_TRY(parse_personality(node, out));
  BERTH_TRY(parse_time_offsets(node, out));
  BERTH_TRY(parse_intel_rdt(node, out));
  return out;
}

}  // namespace berth::oci::detail
