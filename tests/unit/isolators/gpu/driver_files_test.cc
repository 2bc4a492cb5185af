// Finding the NVIDIA user-space driver in injected search dirs: libraries and tools bound
// read-only at their own paths, symlinks bound from their real file, everything else left
// out, and LD_LIBRARY_PATH only for dirs the loader does not search anyway.
#include "isolators/gpu/driver_files.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/isolators/gpu/fake_nvidia_host.h"

namespace berth::gpu {
namespace {

const std::vector<std::string> kReadOnlyBind = {"bind", "ro", "nosuid", "nodev"};

// The mount at `destination`, or nullptr.
const oci::Mount* mount_at(const DriverFiles& files, const std::string& destination) {
  for (const auto& m : files.mounts) {
    if (m.destination == destination) return &m;
  }
  return nullptr;
}

TEST(GpuDriverFiles, LibrariesAndToolsAreBoundReadOnlyAtTheirOwnPaths) {
  testing::FakeNvidiaHost fake;
  auto files = find_driver_files(DriverSearch{{fake.lib_dir()}, {fake.bin_dir()}});
  ASSERT_TRUE(files.ok()) << files.error().message();

  const std::string real_nvml = fake.lib_dir() + "/libnvidia-ml.so.580.159.04";
  const auto* nvml = mount_at(*files, real_nvml);
  ASSERT_NE(nvml, nullptr);
  EXPECT_EQ(nvml->source, real_nvml);
  EXPECT_EQ(nvml->options, kReadOnlyBind);
  // The link name is bound as a file, from the real library.
  const auto* nvml_link = mount_at(*files, fake.lib_dir() + "/libnvidia-ml.so.1");
  ASSERT_NE(nvml_link, nullptr);
  EXPECT_EQ(nvml_link->source, real_nvml);
  EXPECT_EQ(nvml_link->options, kReadOnlyBind);
  ASSERT_NE(mount_at(*files, fake.lib_dir() + "/libcuda.so.1"), nullptr);
  ASSERT_NE(mount_at(*files, fake.bin_dir() + "/nvidia-smi"), nullptr);

  EXPECT_EQ(mount_at(*files, fake.lib_dir() + "/libssl.so.3"), nullptr);
  EXPECT_EQ(mount_at(*files, fake.bin_dir() + "/nvidia-settings"), nullptr);
  EXPECT_EQ(files->mounts.size(), 5U);  // two libraries, their two links, nvidia-smi
  EXPECT_EQ(files->lib_dirs, std::vector<std::string>{fake.lib_dir()});
}

TEST(GpuDriverFiles, LinkIntoAnotherDirBindsTheRealFileAtItsOwnPathToo) {
  testing::FakeNvidiaHost fake;
  const std::string multiarch = fake.path("lib/x86_64-linux-gnu");
  fake.write("lib/x86_64-linux-gnu/libc.so.6", "not a driver library");
  fake.link("lib/x86_64-linux-gnu/libnvidia-ml.so.1", fake.lib_dir() + "/libnvidia-ml.so.1");
  auto files = find_driver_files(DriverSearch{{multiarch}, {}});
  ASSERT_TRUE(files.ok()) << files.error().message();
  ASSERT_EQ(files->mounts.size(), 2U);
  const std::string real = fake.lib_dir() + "/libnvidia-ml.so.580.159.04";
  EXPECT_EQ(files->mounts[0].destination, real);
  EXPECT_EQ(files->mounts[1].destination, multiarch + "/libnvidia-ml.so.1");
  EXPECT_EQ(files->mounts[1].source, real);
}

TEST(GpuDriverFiles, DanglingLinksAndMissingDirsAreSkipped) {
  testing::FakeNvidiaHost fake;
  fake.link("usr/local/nvidia/lib64/libnvidia-ml.so", "libnvidia-ml.so.999");
  auto files = find_driver_files(DriverSearch{{fake.path("no/such/dir"), fake.lib_dir()}, {fake.path("nope")}});
  ASSERT_TRUE(files.ok()) << files.error().message();
  EXPECT_EQ(mount_at(*files, fake.lib_dir() + "/libnvidia-ml.so"), nullptr);
  EXPECT_EQ(files->mounts.size(), 4U);
}

TEST(GpuDriverFiles, RecognisesDriverNames) {
  EXPECT_TRUE(is_driver_library("libnvidia-ml.so.1"));
  EXPECT_TRUE(is_driver_library("libnvidia-ptxjitcompiler.so.580.159.04"));
  EXPECT_TRUE(is_driver_library("libcuda.so"));
  EXPECT_FALSE(is_driver_library("libcudart.so.12"));
  EXPECT_FALSE(is_driver_library("libnvidia-ml.a"));
  EXPECT_TRUE(is_driver_tool("nvidia-smi"));
  EXPECT_FALSE(is_driver_tool("nvidia-smi.bak"));
}

TEST(GpuDriverFiles, LdLibraryPathLeavesOutTheLoadersOwnDirs) {
  EXPECT_EQ(ld_library_path({"/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/opt/nv/lib"}),
            "/usr/local/nvidia/lib64:/opt/nv/lib");
  EXPECT_EQ(ld_library_path({"/usr/lib64", "/lib/x86_64-linux-gnu"}), "");
}

}  // namespace
}  // namespace berth::gpu
