#include <gtest/gtest.h>

#include <string>

#include "runtime/oci/spec.h"
#include "tests/unit/runtime/oci/spec_parse_test_util.h"

namespace berth::oci {
namespace {

using spec_test::spec_error;
using spec_test::with_linux;

// A linux.resources section the way containerd's CRI plugin writes one, with every field.
constexpr std::string_view kAllResources = R"json({"resources": {
  "devices": [
    {"allow": false, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
    {"allow": true, "type": "b", "major": 8, "access": "r"}
  ],
  "memory": {"limit": 536870912, "reservation": 268435456, "swap": -1, "kernel": 0, "kernelTCP": 0,
             "swappiness": 60, "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
  "cpu": {"shares": 1024, "quota": 50000, "burst": 10000, "period": 100000, "realtimeRuntime": 0,
          "realtimePeriod": 1000000, "cpus": "0-3", "mems": "0", "idle": 1},
  "pids": {"limit": 512},
  "blockIO": {"weight": 500, "leafWeight": 300,
              "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200}],
              "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
              "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2097152}],
              "throttleReadIOPSDevice": [{"major": 8, "minor": 16, "rate": 100}],
              "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 200}]},
  "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}, {"pageSize": "1GB", "limit": 0}],
  "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
  "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
  "unified": {"memory.high": "400M", "io.weight": "default 100"}
}})json";

Resources parse_resources_or_fail(std::string_view linux_json) {
  auto spec = parse_spec(with_linux(linux_json));
  EXPECT_TRUE(spec.ok()) << spec.error().message();
  if (!spec.ok() || !spec->linux->resources) return {};
  return *spec->linux->resources;
}

TEST(ResourcesParse, EveryCgroupFieldIsRead) {
  Resources r = parse_resources_or_fail(kAllResources);
  ASSERT_EQ(r.devices.size(), 3u);
  EXPECT_EQ(r.devices[0].type, "a");
  EXPECT_FALSE(r.devices[0].major.has_value());
  EXPECT_EQ(r.devices[1].minor, 3);
  EXPECT_EQ(r.devices[2].type, "b");
  EXPECT_FALSE(r.devices[2].minor.has_value());
  EXPECT_EQ(r.devices[2].access, "r");
  ASSERT_TRUE(r.memory.has_value());
  EXPECT_EQ(r.memory->limit, 536870912);
  EXPECT_EQ(r.memory->swap, -1);
  EXPECT_EQ(r.memory->swappiness, 60u);
  EXPECT_EQ(r.memory->disable_oom_killer, false);
  EXPECT_EQ(r.memory->check_before_update, true);
  ASSERT_TRUE(r.cpu.has_value());
  EXPECT_EQ(r.cpu->quota, 50000);
  EXPECT_EQ(r.cpu->burst, 10000u);
  EXPECT_EQ(r.cpu->realtime_period, 1000000u);
  EXPECT_EQ(r.cpu->cpus, "0-3");
  EXPECT_EQ(r.cpu->idle, 1);
  EXPECT_EQ(r.pids->limit, 512);
  ASSERT_TRUE(r.block_io.has_value());
  EXPECT_EQ(r.block_io->weight, 500);
  EXPECT_EQ(r.block_io->weight_device[0].leaf_weight, 200);
  EXPECT_EQ(r.block_io->throttle_read_bps[0].rate, 1048576u);
  EXPECT_EQ(r.block_io->throttle_write_bps[0].rate, 2097152u);
  EXPECT_EQ(r.block_io->throttle_read_iops[0].minor, 16);
  EXPECT_EQ(r.block_io->throttle_write_iops[0].rate, 200u);
  ASSERT_EQ(r.hugepage_limits.size(), 2u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r.hugepage_limits[0].limit, 209715200u);
  EXPECT_EQ(r.network->class_id, 1048577u);
  EXPECT_EQ(r.network->priorities[0], (std::pair<std::string, uint32_t>{"eth0", 500}));
  EXPECT_EQ(r.rdma_raw.at("mlx5_1"), R"({"hcaHandles":3,"hcaObjects":10000})");
  EXPECT_EQ(r.unified.at("io.weight"), "default 100");
}

TEST(ResourcesParse, AbsentSectionsStayAbsent) {
  Resources r = parse_resources_or_fail(R"({"resources": {"pids": {"limit": -1}}})");
  EXPECT_FALSE(r.memory.has_value());
  EXPECT_FALSE(r.cpu.has_value());
  EXPECT_FALSE(r.block_io.has_value());
  EXPECT_FALSE(r.network.has_value());
  EXPECT_EQ(r.pids->limit, -1);
}

TEST(ResourcesParse, DeviceRuleWithBadAccessIsRefused) {
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"devices": [{"allow": true, "access": "rwx"}]}})")),
            "linux.resources.devices[0].access: \"rwx\" is not a subset of \"rwm\"");
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"devices": [{"allow": true, "type": "p"}]}})")),
            "linux.resources.devices[0].type: unknown device type \"p\"");
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"devices": [{"access": "r"}]}})")),
            "linux.resources.devices[0].allow: required");
}

TEST(ResourcesParse, WrongValueTypesNameTheField) {
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"memory": {"limit": "1G"}}})")),
            "linux.resources.memory.limit: must be an integer");
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"cpu": {"shares": -2}}})")),
            "linux.resources.cpu.shares: must not be negative");
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"blockIO": {"weight": 70000}}})")),
            "linux.resources.blockIO.weight: must be at most 65535");
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"pids": {}}})")), "linux.resources.pids.limit: required");
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"hugepageLimits": [{"limit": 1}]}})")),
            "linux.resources.hugepageLimits[0].pageSize: required");
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"unified": {"memory.max": 5}}})")),
            "linux.resources.unified.memory.max: must be a string");
  EXPECT_EQ(spec_error(with_linux(R"({"resources": {"memory": 5}})")), "linux.resources.memory: must be an object");
}

TEST(ResourcesParse, StandaloneDocumentAsUpdateTakesIt) {
  auto r = parse_resources_json(R"({"memory": {"limit": 67108864, "swap": -1}, "pids": {"limit": 20}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->memory->limit, 67108864);
  EXPECT_EQ(r->memory->swap, -1);
  EXPECT_EQ(r->pids->limit, 20);
  EXPECT_FALSE(r->cpu.has_value());
}

TEST(ResourcesParse, StandaloneDocumentErrorsNameTheField) {
  auto bad = parse_resources_json(R"({"memory": {"limit": "1G"}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "memory.limit: must be an integer");
  auto not_json = parse_resources_json("{");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().message().rfind("resources: invalid JSON", 0), 0u) << not_json.error().message();
  EXPECT_FALSE(parse_resources_json("[]").ok());
}

}  // namespace
}  // namespace berth::oci
