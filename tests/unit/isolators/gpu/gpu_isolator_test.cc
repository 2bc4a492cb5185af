// The gpu/nvidia isolator on a faked two-GPU host: what prepare() adds for a container asking
// N GPUs (nodes, driver mounts, NVIDIA_VISIBLE_DEVICES), exclusivity and refusal without
// reservation, usage, update refused, cleanup, recover across a restart, and CDI devices
// (GPU ones exclusive, others shared). Needs root for the fake /dev/nvidia* nodes.
#include "isolators/gpu/gpu_isolator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "isolators/launch_additions.h"
#include "tests/unit/isolators/gpu/fake_nvidia_host.h"

namespace berth::gpu {
namespace {

using isolators::ContainerConfig;
using isolators::LaunchAdditions;
using testing::kUuid0;
using testing::kUuid1;

ContainerConfig container(const std::string& id, uint32_t gpus, std::vector<std::string> cdi = {}) {
  ContainerConfig c;
  c.id = id;
  c.cgroup = "/berth/" + id;
  c.resources.gpus = gpus;
  c.resources.cdi_devices = std::move(cdi);
  return c;
}

std::vector<std::string> device_paths(const LaunchAdditions& add) {
  std::vector<std::string> out;
  for (const auto& d : add.devices) out.push_back(d.path);
  return out;
}

bool has_mount(const LaunchAdditions& add, const std::string& destination) {
  return std::any_of(add.mounts.begin(), add.mounts.end(), [&](const auto& m) { return m.destination == destination; });
}

class GpuIsolatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_mknod();
    fake_.make_nodes();
  }
  std::unique_ptr<NvidiaGpuIsolator> make() const {
    GpuIsolatorOptions options;
    options.root = fake_.root();
    options.state_dir = fake_.path("var/lib/berth/gpu");
    options.driver = DriverSearch{{fake_.lib_dir()}, {fake_.bin_dir()}};
    auto isolator = NvidiaGpuIsolator::create(options);
    EXPECT_TRUE(isolator.ok()) << isolator.error().message();
    return isolator.ok() ? std::move(isolator).value() : nullptr;
  }
  testing::FakeNvidiaHost fake_;
};

TEST_F(GpuIsolatorTest, ContainerAskingNoGpusGetsNothing) {
  auto gpu = make();
  ASSERT_NE(gpu, nullptr);
  LaunchAdditions add;
  ASSERT_TRUE(gpu->prepare(container("c0", 0), add).ok());
  EXPECT_TRUE(add.devices.empty());
  EXPECT_TRUE(add.mounts.empty());
  EXPECT_TRUE(add.env.empty());
}

TEST_F(GpuIsolatorTest, PrepareAddsTheGpuNodeControlNodesDriverMountsAndEnv) {
  auto gpu = make();
  ASSERT_NE(gpu, nullptr);
  LaunchAdditions add;
  auto st = gpu->prepare(container("c1", 1), add);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(device_paths(add),
            (std::vector<std::string>{"/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"}));
  EXPECT_EQ(add.devices[0].type, 'c');
  EXPECT_EQ(add.devices[0].major, 195);
  EXPECT_EQ(add.devices[0].minor, 0);
  EXPECT_EQ(add.devices[0].file_mode, 0666U);
  EXPECT_EQ(add.devices[2].major, 238);
  EXPECT_TRUE(has_mount(add, fake_.lib_dir() + "/libnvidia-ml.so.1"));
  EXPECT_TRUE(has_mount(add, fake_.lib_dir() + "/libcuda.so.580.159.04"));
  EXPECT_TRUE(has_mount(add, fake_.bin_dir() + "/nvidia-smi"));
  for (const auto& m : add.mounts) {
    EXPECT_EQ(m.options, (std::vector<std::string>{"bind", "ro", "nosuid", "nodev"})) << m.destination;
  }
  EXPECT_EQ(add.env, (std::vector<std::string>{std::string("NVIDIA_VISIBLE_DEVICES=") + kUuid0,
                                               "LD_LIBRARY_PATH=" + fake_.lib_dir()}));
}

TEST_F(GpuIsolatorTest, AdditionsFoldIntoConfigJsonAsLinuxDevices) {
  auto gpu = make();
  ASSERT_NE(gpu, nullptr);
  LaunchAdditions add;
  ASSERT_TRUE(gpu->prepare(container("c1", 1), add).ok());
  auto config = isolators::add_to_config(R"({"process": {"env": ["PATH=/bin"]}, "linux": {}})", add);
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_NE(config->find(R"({"path":"/dev/nvidia0","type":"c","major":195,"minor":0,"fileMode":438})"),
            std::string::npos)
      << *config;
  EXPECT_NE(config->find(std::string("NVIDIA_VISIBLE_DEVICES=") + kUuid0), std::string::npos) << *config;
}

TEST_F(GpuIsolatorTest, EachGpuGoesToOneContainerAndTheThirdIsRefusedWithoutReserving) {
  auto gpu = make();
  ASSERT_NE(gpu, nullptr);
  LaunchAdditions a;
  LaunchAdditions b;
  ASSERT_TRUE(gpu->prepare(container("c1", 1), a).ok());
  ASSERT_TRUE(gpu->prepare(container("c2", 1), b).ok());
  EXPECT_EQ(device_paths(b)[0], "/dev/nvidia1");
  EXPECT_EQ(b.env[0], std::string("NVIDIA_VISIBLE_DEVICES=") + kUuid1);

  LaunchAdditions c;
  auto refused = gpu->prepare(container("c3", 1), c);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "container \"c3\" asks for 1 GPU; 0 of 2 free");
  EXPECT_TRUE(c.devices.empty());
  EXPECT_TRUE(c.mounts.empty());
  isolators::Usage usage;
  ASSERT_TRUE(gpu->usage(container("c3", 1), usage).ok());
  EXPECT_TRUE(usage.gpus.empty());

  ASSERT_TRUE(gpu->cleanup(container("c1", 1)).ok());
  ASSERT_TRUE(gpu->cleanup(container("c1", 1)).ok());  // twice is fine
  EXPECT_TRUE(gpu->prepare(container("c3", 1), c).ok());
  ASSERT_TRUE(gpu->usage(container("c3", 1), usage).ok());
  EXPECT_EQ(usage.gpus, std::vector<std::string>{kUuid0});
}

TEST_F(GpuIsolatorTest, OverAllocationIsRefusedWithTheFreeCount) {
  auto gpu = make();
  ASSERT_NE(gpu, nullptr);
  LaunchAdditions add;
  ASSERT_TRUE(gpu->prepare(container("c1", 1), add).ok());
  LaunchAdditions more;
  auto refused = gpu->prepare(container("c2", 2), more);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "container \"c2\" asks for 2 GPUs; 1 of 2 free");
}

TEST_F(GpuIsolatorTest, UpdateThatChangesTheGpuCountIsRefused) {
  auto gpu = make();
  ASSERT_NE(gpu, nullptr);
  auto c1 = container("c1", 1);
  LaunchAdditions add;
  ASSERT_TRUE(gpu->prepare(c1, add).ok());
  auto next = c1.resources;
  next.cpus = 2.0;
  EXPECT_TRUE(gpu->update(c1, next).ok());
  next.gpus = 2;
  auto refused = gpu->update(c1, next);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "container \"c1\": its GPUs cannot change while it runs (holds 1, asked 2)");
  auto check = gpu->check(c1);
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->has_value());
}

TEST_F(GpuIsolatorTest, RecoverRestoresHoldingsAndReleasesUnknownContainers) {
  {
    auto before = make();
    ASSERT_NE(before, nullptr);
    LaunchAdditions add;
    ASSERT_TRUE(before->prepare(container("c1", 1), add).ok());
    ASSERT_TRUE(before->prepare(container("gone", 1), add).ok());
  }
  auto after = make();
  ASSERT_NE(after, nullptr);
  auto st = after->recover({container("c1", 1)});
  ASSERT_TRUE(st.ok()) << st.error().message();
  isolators::Usage usage;
  ASSERT_TRUE(after->usage(container("c1", 1), usage).ok());
  EXPECT_EQ(usage.gpus, std::vector<std::string>{kUuid0});
  LaunchAdditions add;
  ASSERT_TRUE(after->prepare(container("c2", 1), add).ok()) << "the GPU of \"gone\" was not released";
  EXPECT_EQ(device_paths(add)[0], "/dev/nvidia1");
}

TEST_F(GpuIsolatorTest, CdiGpuIsHeldExclusively) {
  fake_.write("etc/cdi/nvidia.yaml",
              "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n  - name: \"0\"\n    containerEdits:\n"
              "      deviceNodes: [{path: /dev/nvidia0}, {path: /dev/nvidiactl}]\n");
  auto gpu = make();
  ASSERT_NE(gpu, nullptr);
  LaunchAdditions add;
  auto st = gpu->prepare(container("c1", 0, {"nvidia.com/gpu=0"}), add);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(device_paths(add), (std::vector<std::string>{"/dev/nvidia0", "/dev/nvidiactl"}));
  isolators::Usage usage;
  ASSERT_TRUE(gpu->usage(container("c1", 0), usage).ok());
  EXPECT_EQ(usage.gpus, std::vector<std::string>{kUuid0});

  LaunchAdditions other;
  auto same = gpu->prepare(container("c2", 0, {"nvidia.com/gpu=0"}), other);
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.error().message(),
            std::string("container \"c2\" asks for GPU ") + kUuid0 + ", held by container \"c1\"");
  auto counted = gpu->prepare(container("c3", 2), other);
  ASSERT_FALSE(counted.ok());
  EXPECT_EQ(counted.error().message(), "container \"c3\" asks for 2 GPUs; 1 of 2 free");
}

TEST_F(GpuIsolatorTest, CdiDeviceThatIsNoGpuIsShared) {
  fake_.write("etc/cdi/example.yaml",
              "cdiVersion: 0.6.0\nkind: example.com/fpga\ndevices:\n  - name: f0\n    containerEdits:\n"
              "      env: [FPGA=f0]\n      deviceNodes: [{path: /dev/fpga0, type: c, major: 240, minor: 0}]\n");
  auto gpu = make();
  ASSERT_NE(gpu, nullptr);
  LaunchAdditions a;
  LaunchAdditions b;
  ASSERT_TRUE(gpu->prepare(container("c1", 0, {"example.com/fpga=f0"}), a).ok());
  ASSERT_TRUE(gpu->prepare(container("c2", 1, {"example.com/fpga=f0"}), b).ok());
  EXPECT_EQ(a.env, std::vector<std::string>{"FPGA=f0"});
  EXPECT_EQ(device_paths(b).back(), "/dev/fpga0");
  EXPECT_EQ(b.env.back(), "FPGA=f0");
}

TEST_F(GpuIsolatorTest, UnknownCdiDeviceIsRefusedWithoutReserving) {
  auto gpu = make();
  ASSERT_NE(gpu, nullptr);
  LaunchAdditions add;
  auto refused = gpu->prepare(container("c1", 1, {"nvidia.com/gpu=9"}), add);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "container \"c1\": unknown CDI device \"nvidia.com/gpu=9\"; known: none");
  LaunchAdditions both;
  EXPECT_TRUE(gpu->prepare(container("c2", 2), both).ok());
}

}  // namespace
}  // namespace berth::gpu
