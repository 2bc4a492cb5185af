// A faked NVIDIA host in a temp dir, shaped like the real GPU host (GPU-HOST.md): two GPUs
// (minors 0 and 1) under proc/driver/nvidia/gpus, proc/devices with the dynamic majors,
// dev/nvidia* nodes (mknod: root only) and fake driver files in usr/local/nvidia/{lib64,bin}.
// Test code only.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::gpu::testing {

inline constexpr const char* kUuid0 = "GPU-8d3c1a52-0b5e-4a6f-9f3e-1c2d3e4f5a60";
inline constexpr const char* kUuid1 = "GPU-1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a51";
inline constexpr const char* kBus0 = "0000:00:06.0";
inline constexpr const char* kBus1 = "0000:00:07.0";

// The information file as the 580 driver writes it: key, colon, tabs and spaces, value.
inline std::string gpu_information(const std::string& uuid, const std::string& bus, int minor, bool excluded = false) {
  return "Model: \t\t NVIDIA H200\nIRQ:   \t\t 0\nGPU UUID: \t " + uuid +
         "\nVideo BIOS: \t ??.??.??.??.??\nBus Type: \t PCIe\nDMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\n"
         "Bus Location: \t " +
         bus + "\nDevice Minor: \t " + std::to_string(minor) + "\nGPU Firmware: \t 580.159.04\nGPU Excluded:\t " +
         (excluded ? "Yes" : "No") + "\n";
}

inline constexpr const char* kProcDevices =
    "Character devices:\n  1 mem\n  4 tty\n  5 /dev/tty\n 10 misc\n136 pts\n195 nvidia-frontend\n238 nvidia-uvm\n"
    "241 nvidia-caps\n\nBlock devices:\n  7 loop\n259 blkext\n";

inline constexpr const char* kDriverVersion =
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  "
    "(dvs-builder@U22-I3-AE18-23-3)  Thu Oct 30 00:00:00 UTC 2026\nGCC version:  gcc version 13.3.0\n";

class FakeNvidiaHost {
 public:
  // The driver tree and the driver files; nodes only with make_nodes().
  FakeNvidiaHost() {
    write("proc/driver/nvidia/version", kDriverVersion);
    write("proc/driver/nvidia/params", "ResmanDebugLevel: 4294967295\n");
    write("proc/driver/nvidia/registry", "Binary: \"\"\n");
    write("proc/devices", kProcDevices);
    add_gpu(kBus0, kUuid0, 0);
    add_gpu(kBus1, kUuid1, 1);
    write("proc/driver/nvidia/capabilities/gpu0/mig/monitor", "DeviceFileMinor: 2\n");
    write("usr/local/nvidia/lib64/libnvidia-ml.so.580.159.04", "ELF nvml");
    link("usr/local/nvidia/lib64/libnvidia-ml.so.1", "libnvidia-ml.so.580.159.04");
    write("usr/local/nvidia/lib64/libcuda.so.580.159.04", "ELF cuda");
    link("usr/local/nvidia/lib64/libcuda.so.1", "libcuda.so.580.159.04");
    write("usr/local/nvidia/lib64/libssl.so.3", "not a driver library");
    write("usr/local/nvidia/bin/nvidia-smi", "ELF smi");
    write("usr/local/nvidia/bin/nvidia-settings", "not mounted");
  }

  [[nodiscard]] const std::string& root() const { return tmp_.path(); }
  [[nodiscard]] std::string path(const std::string& rel) const { return tmp_.path(rel); }
  [[nodiscard]] std::string lib_dir() const { return path("usr/local/nvidia/lib64"); }
  [[nodiscard]] std::string bin_dir() const { return path("usr/local/nvidia/bin"); }

  void write(const std::string& rel, const std::string& text) const {
    ASSERT_TRUE(mkdir_p(dirname_of(path(rel))).ok());
    ASSERT_TRUE(write_file(path(rel), text).ok()) << rel;
  }
  void link(const std::string& rel, const std::string& target) const {
    ASSERT_EQ(::symlink(target.c_str(), path(rel).c_str()), 0) << rel << ": " << errno;
  }
  void add_gpu(const std::string& bus, const std::string& uuid, int minor, bool excluded = false) const {
    write("proc/driver/nvidia/gpus/" + bus + "/information", gpu_information(uuid, bus, minor, excluded));
    write("proc/driver/nvidia/gpus/" + bus + "/power", "Runtime D3 status:          Disabled by default\n");
  }

  // A character device node beneath the root (mknod needs CAP_MKNOD: callers skip otherwise).
  void node(const std::string& rel, unsigned major, unsigned minor, mode_t mode = 0666) const {
    ASSERT_TRUE(mkdir_p(dirname_of(path(rel))).ok());
    ASSERT_EQ(::mknod(path(rel).c_str(), S_IFCHR | mode, makedev(major, minor)), 0) << rel << ": " << errno;
    ASSERT_EQ(::chmod(path(rel).c_str(), mode), 0);
  }
  // The nodes the GPU host has: nvidia0, nvidia1, nvidiactl, nvidia-uvm(-tools), nvidia-caps.
  void make_nodes() const {
    node("dev/nvidia0", 195, 0);
    node("dev/nvidia1", 195, 1);
    node("dev/nvidiactl", 195, 255);
    node("dev/nvidia-uvm", 238, 0);
    node("dev/nvidia-uvm-tools", 238, 1);
    node("dev/nvidia-caps/nvidia-cap1", 241, 1, 0400);
    node("dev/nvidia-caps/nvidia-cap2", 241, 2, 0444);
  }

 private:
  TempDir tmp_{"berth-gputest-"};
};

}  // namespace berth::gpu::testing

// Skips a test that needs fake device nodes when mknod is not allowed, with the reason.
// NOLINTNEXTLINE(readability-identifier-naming): reads like the function it stands for.
#define skip_unless_mknod()                                                                                 \
  do {                                                                                                      \
    if (::geteuid() != 0) GTEST_SKIP() << "faking /dev/nvidia* needs mknod, which needs root: run as root"; \
  } while (0)
