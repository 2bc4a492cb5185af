// Discovery of GPUs from a faked driver tree shaped like the GPU host: the information files,
// the device nodes (made with mknod, so those tests need root), the dynamic majors of
// /proc/devices and the driver version.
#include "isolators/gpu/nvidia_discovery.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/isolators/gpu/fake_nvidia_host.h"

namespace berth::gpu {
namespace {

using testing::FakeNvidiaHost;
using testing::kBus0;
using testing::kBus1;
using testing::kUuid0;
using testing::kUuid1;

TEST(NvidiaDiscovery, ParsesTheInformationFileOfTheDriver) {
  auto info = parse_gpu_information(testing::gpu_information(kUuid0, kBus0, 0), "information");
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->model, "NVIDIA H200");
  EXPECT_EQ(info->uuid, kUuid0);
  EXPECT_EQ(info->bus, kBus0);
  EXPECT_EQ(info->minor, 0U);
  EXPECT_FALSE(info->excluded);
  auto excluded = parse_gpu_information(testing::gpu_information(kUuid1, kBus1, 1, true), "information");
  ASSERT_TRUE(excluded.ok()) << excluded.error().message();
  EXPECT_TRUE(excluded->excluded);
}

TEST(NvidiaDiscovery, InformationWithoutUuidOrMinorNamesTheFile) {
  auto no_uuid = parse_gpu_information("Model: \t NVIDIA H200\nDevice Minor: \t 0\n", "/x/information");
  ASSERT_FALSE(no_uuid.ok());
  EXPECT_EQ(no_uuid.error().message(), "/x/information: no \"GPU UUID\" line");
  auto bad_minor = parse_gpu_information("GPU UUID: \t GPU-1\nDevice Minor: \t 255\n", "/x/information");
  ASSERT_FALSE(bad_minor.ok());
  EXPECT_NE(bad_minor.error().message().find("Device Minor \"255\""), std::string::npos);
}

TEST(NvidiaDiscovery, ReadsDynamicMajorsFromProcDevicesCharacterPartOnly) {
  auto majors = parse_proc_devices(testing::kProcDevices);
  EXPECT_EQ(majors["nvidia-uvm"], 238);
  EXPECT_EQ(majors["nvidia-caps"], 241);
  EXPECT_EQ(majors["nvidia-frontend"], 195);
  EXPECT_FALSE(majors.contains("loop"));  // a block device
}

TEST(NvidiaDiscovery, ReadsTheDriverVersion) {
  EXPECT_EQ(parse_driver_version(testing::kDriverVersion), "580.159.04");
  EXPECT_EQ(parse_driver_version("garbage\n"), "");
}

TEST(NvidiaDiscovery, HostWithoutTheDriverHasNoGpus) {
  TempDir empty("berth-gputest-");
  auto host = discover_nvidia(empty.path());
  ASSERT_TRUE(host.ok()) << host.error().message();
  EXPECT_TRUE(host->gpus.empty());
  EXPECT_TRUE(host->control.empty());
}

TEST(NvidiaDiscovery, FileInPlaceOfTheGpuNodeIsRefused) {
  FakeNvidiaHost fake;
  fake.write("dev/nvidia0", "not a device");
  auto host = discover_nvidia(fake.root());
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.error().message().find(fake.path("dev/nvidia0") + ": not a character device"), std::string::npos)
      << host.error().message();
}

TEST(NvidiaDiscovery, FindsBothGpusAndTheControlDevices) {
  skip_unless_mknod();
  FakeNvidiaHost fake;
  fake.make_nodes();
  auto host = discover_nvidia(fake.root());
  ASSERT_TRUE(host.ok()) << host.error().message();
  ASSERT_EQ(host->gpus.size(), 2U);
  EXPECT_EQ(host->gpus[0].uuid, kUuid0);
  EXPECT_EQ(host->gpus[0].bus, kBus0);
  EXPECT_EQ(host->gpus[0].model, "NVIDIA H200");
  EXPECT_EQ(host->gpus[0].device.path, "/dev/nvidia0");
  EXPECT_EQ(host->gpus[0].device.major, 195);
  EXPECT_EQ(host->gpus[0].device.minor, 0);
  EXPECT_EQ(host->gpus[0].device.file_mode, 0666U);
  EXPECT_EQ(host->gpus[1].uuid, kUuid1);
  EXPECT_EQ(host->gpus[1].device.path, "/dev/nvidia1");
  EXPECT_EQ(host->driver_version, "580.159.04");

  ASSERT_EQ(host->control.size(), 3U);  // no nvidia-modeset on this host
  EXPECT_EQ(host->control[0].path, "/dev/nvidiactl");
  EXPECT_EQ(host->control[0].minor, 255);
  EXPECT_EQ(host->control[1].path, "/dev/nvidia-uvm");
  EXPECT_EQ(host->control[1].major, 238);
  EXPECT_EQ(host->control[2].path, "/dev/nvidia-uvm-tools");
  EXPECT_EQ(host->control[2].minor, 1);
}

TEST(NvidiaDiscovery, ExcludedGpuIsNotOffered) {
  skip_unless_mknod();
  FakeNvidiaHost fake;
  fake.add_gpu(kBus1, kUuid1, 1, /*excluded=*/true);
  fake.make_nodes();
  auto host = discover_nvidia(fake.root());
  ASSERT_TRUE(host.ok()) << host.error().message();
  ASSERT_EQ(host->gpus.size(), 1U);
  EXPECT_EQ(host->gpus[0].uuid, kUuid0);
}

TEST(NvidiaDiscovery, MissingGpuNodeIsReportedWithItsPathAndGpu) {
  skip_unless_mknod();
  FakeNvidiaHost fake;
  fake.make_nodes();
  ASSERT_EQ(::unlink(fake.path("dev/nvidia1").c_str()), 0);
  auto host = discover_nvidia(fake.root());
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.error().message(), std::string("GPU ") + kUuid1 + " at " + kBus1 + " (device minor 1): " +
                                        fake.path("dev/nvidia1") + ": missing (the driver's device node was not made)");
}

TEST(NvidiaDiscovery, GpuNodeWithAnotherMajorIsRefusedAsStale) {
  skip_unless_mknod();
  FakeNvidiaHost fake;
  fake.make_nodes();
  ASSERT_EQ(::unlink(fake.path("dev/nvidia1").c_str()), 0);
  fake.node("dev/nvidia1", 238, 1);
  auto host = discover_nvidia(fake.root());
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.error().message().find("character device 238:1, expected major 195"), std::string::npos)
      << host.error().message();
}

TEST(NvidiaDiscovery, UvmNodeDisagreeingWithProcDevicesIsRefused) {
  skip_unless_mknod();
  FakeNvidiaHost fake;
  fake.make_nodes();
  fake.write("proc/devices", "Character devices:\n195 nvidia-frontend\n237 nvidia-uvm\n");
  auto host = discover_nvidia(fake.root());
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.error().message().find("dev/nvidia-uvm: character device 238:0, expected major 237"),
            std::string::npos)
      << host.error().message();
}

TEST(NvidiaDiscovery, MissingNvidiactlIsAnErrorWhenThereAreGpus) {
  skip_unless_mknod();
  FakeNvidiaHost fake;
  fake.make_nodes();
  ASSERT_EQ(::unlink(fake.path("dev/nvidiactl").c_str()), 0);
  auto host = discover_nvidia(fake.root());
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.error().message().find("dev/nvidiactl: missing"), std::string::npos) << host.error().message();
}

}  // namespace
}  // namespace berth::gpu
