// prepare()'s additions folded into config.json: mounts appended, devices listed under
// linux.devices, environment set with a name already there replaced; bad documents refused.
#include "isolators/launch_additions.h"

#include <gtest/gtest.h>

#include "runtime/oci/spec.h"

namespace berth::isolators {
namespace {

constexpr const char* kConfig = R"({"ociVersion": "1.2.0", "process": {"args": ["sh"], "cwd": "/",
  "env": ["PATH=/bin", "NVIDIA_VISIBLE_DEVICES=none", "LD_LIBRARY_PATH=/opt/app/lib"]}, "root": {"path": "rootfs"}, "mounts": [
  {"destination": "/proc", "type": "proc", "source": "proc"}], "linux": {}})";

TEST(LaunchAdditions, AreFoldedIntoAConfigTheRuntimeAccepts) {
  LaunchAdditions add;
  add.mounts.push_back({"/usr/bin/nvidia-smi", "bind", "/usr/bin/nvidia-smi", {"bind", "ro"}, {}, {}});
  add.devices.push_back({"/dev/nvidia0", 'c', 195, 0, 0666, 0, 0});
  add.env = {"NVIDIA_VISIBLE_DEVICES=GPU-1", "LD_LIBRARY_PATH=/usr/local/nvidia/lib64"};
  auto merged = add_to_config(kConfig, add);
  ASSERT_TRUE(merged) << merged.error().message();
  auto spec = oci::parse_spec(*merged);
  ASSERT_TRUE(spec) << spec.error().message();
  ASSERT_EQ(spec->mounts.size(), 2U);
  EXPECT_EQ(spec->mounts[1].destination, "/usr/bin/nvidia-smi");
  EXPECT_EQ(spec->mounts[1].options, (std::vector<std::string>{"bind", "ro"}));
  ASSERT_EQ(spec->linux->devices.size(), 1U);
  EXPECT_EQ(spec->linux->devices[0].major, 195);
  EXPECT_EQ(spec->linux->devices[0].file_mode, 0666U);
  // The image's own library path is kept, after the isolator's.
  EXPECT_EQ(spec->process->env, (std::vector<std::string>{"PATH=/bin", "NVIDIA_VISIBLE_DEVICES=GPU-1",
                                                          "LD_LIBRARY_PATH=/usr/local/nvidia/lib64:/opt/app/lib"}));
}

TEST(LaunchAdditions, NothingToAddLeavesTheConfigAsItWas) {
  auto merged = add_to_config(kConfig, {});
  ASSERT_TRUE(merged);
  auto a = oci::parse_spec(*merged);
  auto b = oci::parse_spec(kConfig);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->mounts.size(), b->mounts.size());
  EXPECT_EQ(a->process->env, b->process->env);
}

TEST(LaunchAdditions, ConfigOfTheWrongShapeIsRefusedNamingTheField) {
  LaunchAdditions add;
  add.mounts.push_back({"/x", "", "/x", {"bind"}, {}, {}});
  EXPECT_FALSE(add_to_config("[]", add));
  auto bad = add_to_config(R"({"mounts": {}})", add);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "mounts: must be an array");
}

}  // namespace
}  // namespace berth::isolators
