// NVML through dlopen: an absent library is normal, a broken one is an error naming it, and
// the /proc view is checked against NVML's by device minor. Where the real library and a GPU
// exist (the GPU host), NVML and /proc must agree.
#include "isolators/gpu/nvml.h"

#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "common/file.h"
#include "tests/unit/isolators/gpu/fake_nvidia_host.h"

namespace berth::gpu {
namespace {

NvidiaHost two_gpu_host() {
  NvidiaHost host;
  host.gpus.push_back(NvidiaGpu{testing::kUuid0, "", testing::kBus0, 0, {}});
  host.gpus.push_back(NvidiaGpu{testing::kUuid1, "NVIDIA H200", testing::kBus1, 1, {}});
  return host;
}

TEST(Nvml, MissingLibraryIsNotAnError) {
  auto nvml = Nvml::open("libberth-test-no-such-nvml.so.1");
  ASSERT_TRUE(nvml.ok()) << nvml.error().message();
  EXPECT_FALSE(nvml->has_value());
}

TEST(Nvml, BrokenLibraryIsAnErrorNamingIt) {
  TempDir tmp("berth-nvmltest-");
  const std::string lib = tmp.path("libnvidia-ml.so.1");
  ASSERT_TRUE(write_file(lib, "this is not an ELF file, but long enough to have a header\n").ok());
  auto nvml = Nvml::open(lib);
  ASSERT_FALSE(nvml.ok());
  EXPECT_TRUE(nvml.error().message().starts_with("dlopen " + lib + ": ")) << nvml.error().message();
}

TEST(Nvml, ReconcileFillsInTheModelByMinor) {
  NvidiaHost host = two_gpu_host();
  std::vector<NvmlGpu> seen = {{1, 1, testing::kUuid1, "NVIDIA H200"}, {0, 0, testing::kUuid0, "NVIDIA H200 NVL"}};
  auto st = reconcile_with_nvml(host, seen);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(host.gpus[0].model, "NVIDIA H200 NVL");
  EXPECT_EQ(host.gpus[1].model, "NVIDIA H200");
}

TEST(Nvml, ReconcileRefusesAnotherGpuBehindAMinor) {
  NvidiaHost host = two_gpu_host();
  std::vector<NvmlGpu> seen = {{0, 0, testing::kUuid1, "NVIDIA H200"}};
  auto st = reconcile_with_nvml(host, seen);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            std::string("GPU minor 0: /proc/driver/nvidia says ") + testing::kUuid0 + ", NVML says " + testing::kUuid1);
}

TEST(Nvml, RealLibraryAgreesWithProcOnAGpuHost) {
  if (!path_exists("/proc/driver/nvidia/gpus")) GTEST_SKIP() << "no NVIDIA driver here (/proc/driver/nvidia/gpus)";
  auto nvml = Nvml::open();
  ASSERT_TRUE(nvml.ok()) << nvml.error().message();
  if (!nvml->has_value()) GTEST_SKIP() << kNvmlLibrary << " is not installed";
  auto gpus = (*nvml)->gpus();
  ASSERT_TRUE(gpus.ok()) << gpus.error().message();
  auto host = discover_nvidia("/");
  ASSERT_TRUE(host.ok()) << host.error().message();
  ASSERT_FALSE(host->gpus.empty());
  for (const auto& g : *gpus)
    std::cout << "NVML GPU " << g.index << ": " << g.uuid << " minor " << g.minor << " " << g.name << "\n";
  auto st = reconcile_with_nvml(*host, *gpus);
  EXPECT_TRUE(st.ok()) << st.error().message();
}

}  // namespace
}  // namespace berth::gpu
