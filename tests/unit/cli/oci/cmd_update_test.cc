// update's command line: runc's flags and sizes, --resources files, and the errors a
// user sees for bad values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/oci/commands_cgroup.h"
#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::cli {
namespace {

// Parses `update <args>` the way berth-oci's main hands it over.
Result<UpdateRequest> update_of(std::vector<std::string> args) {
  args.insert(args.begin(), "update");
  return parse_update(args, 1);
}

oci::Resources resources_of(const std::vector<std::string>& args) {
  auto req = update_of(args);
  EXPECT_TRUE(req.ok()) << req.error().message();
  return req.ok() ? req->resources : oci::Resources{};
}

std::string error_of(const std::vector<std::string>& args) {
  auto req = update_of(args);
  EXPECT_FALSE(req.ok());
  return req.ok() ? "" : req.error().message();
}

TEST(UpdateFlags, SizesTakeRuncsForms) {
  auto r = resources_of({"--memory", "512m", "--memory-swap=1g", "--memory-reservation", "268435456", "c1"});
  ASSERT_TRUE(r.memory.has_value());
  EXPECT_EQ(r.memory->limit, 512LL << 20);
  EXPECT_EQ(r.memory->swap, 1LL << 30);
  EXPECT_EQ(r.memory->reservation, 268435456);
  EXPECT_FALSE(r.cpu.has_value());
  EXPECT_FALSE(r.pids.has_value());
}

TEST(UpdateFlags, UnlimitedMemoryLiftsSwapToo) {
  auto r = resources_of({"--memory", "-1", "c1"});
  ASSERT_TRUE(r.memory.has_value());
  EXPECT_EQ(r.memory->limit, -1);
  EXPECT_EQ(r.memory->swap, -1);
}

TEST(UpdateFlags, CpuPidsAndBlkio) {
  auto r = resources_of({"--cpu-shares", "512", "--cpu-quota", "-1", "--cpu-period", "100000", "--cpu-rt-runtime",
                         "950", "--cpu-rt-period", "1000", "--cpuset-cpus", "0-1", "--cpuset-mems", "0", "--pids-limit",
                         "42", "--blkio-weight", "300", "c1"});
  ASSERT_TRUE(r.cpu.has_value());
  EXPECT_EQ(r.cpu->shares, 512u);
  EXPECT_EQ(r.cpu->quota, -1);
  EXPECT_EQ(r.cpu->period, 100000u);
  EXPECT_EQ(r.cpu->realtime_runtime, 950);
  EXPECT_EQ(r.cpu->realtime_period, 1000u);
  EXPECT_EQ(r.cpu->cpus, "0-1");
  EXPECT_EQ(r.cpu->mems, "0");
  ASSERT_TRUE(r.pids.has_value());
  EXPECT_EQ(r.pids->limit, 42);
  ASSERT_TRUE(r.block_io.has_value());
  EXPECT_EQ(r.block_io->weight, 300);
  // runc's own spelling of the shares flag.
  EXPECT_EQ(resources_of({"--cpu-share", "256", "c1"}).cpu->shares, 256u);
}

TEST(UpdateFlags, ZeroPidsLimitLeavesTheLimitAlone) {
  EXPECT_FALSE(resources_of({"--pids-limit", "0", "c1"}).pids.has_value());
  EXPECT_EQ(resources_of({"--pids-limit", "-1", "c1"}).pids->limit, -1);
}

TEST(UpdateFlags, FlagsOverrideTheResourcesFile) {
  TempDir tmp("berth-updatetest-");
  std::string file = tmp.path("resources.json");
  ASSERT_TRUE(write_file(file, R"({"memory": {"limit": 1048576, "swap": 4194304}, "pids": {"limit": 5},
                                   "cpu": {"shares": 100}})")
                  .ok());
  auto r = resources_of({"--resources", file, "--memory", "2m", "--cpu-quota", "20000", "c1"});
  EXPECT_EQ(r.memory->limit, 2LL << 20);
  EXPECT_EQ(r.memory->swap, 4194304);
  EXPECT_EQ(r.pids->limit, 5);
  EXPECT_EQ(r.cpu->shares, 100u);
  EXPECT_EQ(r.cpu->quota, 20000);
}

TEST(UpdateFlags, BadValuesNameTheFlagAndTheValue) {
  EXPECT_EQ(error_of({"--memory", "12x", "c1"}), "--memory \"12x\": not a size");
  EXPECT_EQ(error_of({"--memory-swap", "lots", "c1"}), "--memory-swap \"lots\": not a size");
  EXPECT_EQ(error_of({"--cpu-quota", "half", "c1"}), "--cpu-quota \"half\": not a number");
  EXPECT_EQ(error_of({"--cpu-period", "-5", "c1"}), "--cpu-period \"-5\": not a number");
  EXPECT_EQ(error_of({"--pids-limit", "many", "c1"}), "--pids-limit \"many\": not a number");
  EXPECT_EQ(error_of({"--blkio-weight", "70000", "c1"}), "--blkio-weight \"70000\": not a weight");
  EXPECT_EQ(error_of({"--memory", "1m"}), "update: expects exactly one container id, got 0 arguments");
  EXPECT_EQ(error_of({"--swap", "1m", "c1"}), "flag provided but not defined: -swap");
}

TEST(UpdateFlags, BadResourcesFileIsNamed) {
  TempDir tmp("berth-updatetest-");
  std::string file = tmp.path("resources.json");
  ASSERT_TRUE(write_file(file, R"({"memory": {"limit": "1G"}})").ok());
  EXPECT_EQ(error_of({"--resources", file, "c1"}), "--resources " + file + ": memory.limit: must be an integer");
  std::string missing = error_of({"--resources", tmp.path("none.json"), "c1"});
  EXPECT_NE(missing.find("none.json"), std::string::npos) << missing;
}

TEST(UpdateFlags, KernelMemoryIsAcceptedAndIgnored) {
  auto r = resources_of({"--kernel-memory", "10m", "c1"});
  EXPECT_FALSE(r.memory.has_value());
}

}  // namespace
}  // namespace berth::cli
