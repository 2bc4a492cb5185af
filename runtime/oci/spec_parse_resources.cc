// config.json "linux.resources": cgroup settings, kept as written for the isolators.
// Only shapes and closed vocabularies are checked here; whether a value suits this host's
// cgroup version is the isolators' question, asked when they apply it.
#include <string>
#include <string_view>
#include <utility>

#include "common/json.h"
#include "runtime/oci/spec.h"
#include "runtime/oci/spec_parse_internal.h"

namespace berth::oci::detail {
namespace {

Status parse_device_rule(const JsonNode& node, DeviceCgroupRule& rule) {
  BERTH_TRY(read_required(node, "allow", rule.allow));
  // The spec's default for a missing type is "all devices".
  rule.type = "a";
  BERTH_TRY(read_field(node, "type", rule.type));
  if (rule.type != "a" && rule.type != "c" && rule.type != "b") {
    return node.field("type")->error("unknown device type " + quoted(rule.type));
  }
  BERTH_TRY(read_field(node, "major", rule.major));
  BERTH_TRY(read_field(node, "minor", rule.minor));
  BERTH_TRY(read_field(node, "access", rule.access));
  if (rule.access.find_first_not_of("rwm") != std::string::npos) {
    return node.field("access")->error(quoted(rule.access) + " is not a subset of \"rwm\"");
  }
  return ok();
}

Status parse_memory(const JsonNode& resources, Resources& out) {
  auto node = resources.field("memory");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  Resources::Memory& m = out.memory.emplace();
  BERTH_TRY(read_field(*node, "limit", m.limit));
  BERTH_TRY(read_field(*node, "reservation", m.reservation));
  BERTH_TRY(read_field(*node, "swap", m.swap));
  BERTH_TRY(read_field(*node, "kernel", m.kernel));
  BERTH_TRY(read_field(*node, "kernelTCP", m.kernel_tcp));
  BERTH_TRY(read_field(*node, "swappiness", m.swappiness));
  BERTH_TRY(read_field(*node, "disableOOMKiller", m.disable_oom_killer));
  BERTH_TRY(read_field(*node, "useHierarchy", m.use_hierarchy));
  return read_field(*node, "checkBeforeUpdate", m.check_before_update);
}

Status parse_cpu(const JsonNode& resources, Resources& out) {
  auto node = resources.field("cpu");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  Resources::Cpu& c = out.cpu.emplace();
  BERTH_TRY(read_field(*node, "shares", c.shares));
  BERTH_TRY(read_field(*node, "quota", c.quota));
  BERTH_TRY(read_field(*node, "burst", c.burst));
  BERTH_TRY(read_field(*node, "period", c.period));
  BERTH_TRY(read_field(*node, "realtimeRuntime", c.realtime_runtime));
  BERTH_TRY(read_field(*node, "realtimePeriod", c.realtime_period));
  BERTH_TRY(read_field(*node, "cpus", c.cpus));
  BERTH_TRY(read_field(*node, "mems", c.mems));
  return read_field(*node, "idle", c.idle);
}

Status parse_pids(const JsonNode& resources, Resources& out) {
  auto node = resources.field("pids");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  // A local rather than emplace(): clang cannot yet see Pids' default member initializer
  // from inside std::optional's constraints, as Pids is nested in Resources.
  Resources::Pids pids;
  BERTH_TRY(read_required(*node, "limit", pids.limit));
  out.pids = pids;
  return ok();
}

Status parse_weight_device(const JsonNode& node, WeightDevice& dev) {
  BERTH_TRY(read_required(node, "major", dev.major));
  BERTH_TRY(read_required(node, "minor", dev.minor));
  BERTH_TRY(read_field(node, "weight", dev.weight));
  return read_field(node, "leafWeight", dev.leaf_weight);
}

Status parse_throttle_device(const JsonNode& node, ThrottleDevice& dev) {
  BERTH_TRY(read_required(node, "major", dev.major));
  BERTH_TRY(read_required(node, "minor", dev.minor));
  return read_required(node, "rate", dev.rate);
}

Status parse_block_io(const JsonNode& resources, Resources& out) {
  auto node = resources.field("blockIO");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  Resources::BlockIo& b = out.block_io.emplace();
  BERTH_TRY(read_field(*node, "weight", b.weight));
  BERTH_TRY(read_field(*node, "leafWeight", b.leaf_weight));
  BERTH_TRY(read_list(*node, "weightDevice", b.weight_device, parse_weight_device));
  BERTH_TRY(read_list(*node, "throttleReadBpsDevice", b.throttle_read_bps, parse_throttle_device));
  BERTH_TRY(read_list(*node, "throttleWriteBpsDevice", b.throttle_write_bps, parse_throttle_device));
  BERTH_TRY(read_list(*node, "throttleReadIOPSDevice", b.throttle_read_iops, parse_throttle_device));
  return read_list(*node, "throttleWriteIOPSDevice", b.throttle_write_iops, parse_throttle_device);
}

Status parse_hugepage_limit(const JsonNode& node, Resources::HugepageLimit& limit) {
  BERTH_TRY(read_required(node, "pageSize", limit.page_size));
  return read_required(node, "limit", limit.limit);
}

Status parse_network(const JsonNode& resources, Resources& out) {
  auto node = resources.field("network");
  if (!node) return ok();
  BERTH_TRY(expect_object(*node));
  Resources::Network& n = out.network.emplace();
  BERTH_TRY(read_field(*node, "classID", n.class_id));
  return read_list(*node, "priorities", n.priorities, [](const JsonNode& item, auto& entry) -> Status {
    BERTH_TRY(read_required(item, "name", entry.first));
    return read_required(item, "priority", entry.second);
  });
}

// rdma limits are per device and rarely used: kept as JSON text for the isolator.
Status parse_rdma(const JsonNode& resources, Resources& out) {
  auto node = resources.field("rdma");
  if (!node) return ok();
  BERTH_ASSIGN(auto members, node->as_object());
  for (auto& [device, value] : members) {
    BERTH_TRY(expect_object(value));
    out.rdma_raw.insert_or_assign(std::move(device), json_serialize(value.raw()));
  }
  return ok();
}

}  // namespace

Result<Resources> parse_resources(const JsonNode& node) {
  BERTH_TRY(expect_object(node));
  Resources out;
  BERTH_TRY(read_list(node, "devices", out.devices, parse_device_rule));
  BERTH_TRY(parse_memory(node, out));
  BERTH_TRY(parse_cpu(node, out));
  BERTH_TRY(parse_pids(node, out));
  BERTH_TRY(parse_block_io(node, out));
  BERTH_TRY(read_list(node, "hugepageLimits", out.hugepage_limits, parse_hugepage_limit));
  BERTH_TRY(parse_network(node, out));
  BERTH_TRY(parse_rdma(node, out));
  BERTH_TRY(read_string_map(node, "unified", out.unified));
  return out;
}

}  // namespace berth::oci::detail

namespace berth::oci {

Result<Resources> parse_resources_json(std::string_view json) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "resources"));
  return detail::parse_resources(JsonNode(doc));
}

}  // namespace berth::oci
