// The gpu/nvidia isolator on a real NVIDIA host: a busybox container given one GPU by
// prepare() (its additions folded into config.json) runs the host's nvidia-smi, which must
// list exactly that GPU; a second container asking for more GPUs than are free is refused.
// Needs root and an NVIDIA GPU (/proc/driver/nvidia/gpus): skips with the reason elsewhere.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/file.h"
#include "isolators/gpu/gpu_isolator.h"
#include "isolators/launch_additions.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using gpu::NvidiaGpuIsolator;
using isolators::ContainerConfig;
using isolators::LaunchAdditions;

// Where the host's glibc lives: nvidia-smi is dynamically linked and busybox brings no libc.
// On Ubuntu 24.04 /lib64 and /lib are links into /usr; binding each path that exists (the
// kernel follows the link of the source) gives the loader /lib64/ld-linux-x86-64.so.2 and the
// relative links in it a target.
const std::vector<std::string> kGlibcDirs = {"/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                             "/usr/lib64"};

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

ContainerConfig gpu_container(const std::string& id, uint32_t gpus) {
  ContainerConfig c;
  c.id = id;
  c.cgroup = "/berth/" + id;
  c.resources.gpus = gpus;
  return c;
}

// The "GPU-…" UUIDs in nvidia-smi -L output ("GPU 0: NVIDIA H200 (UUID: GPU-8d3c…)").
std::vector<std::string> uuids_in(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = text.find("UUID: "); at != std::string::npos; at = text.find("UUID: ", at + 1)) {
    const size_t begin = at + 6;
    const size_t end = text.find_first_of(")\n ", begin);
    out.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
  }
  return out;
}

std::string dump(const LaunchAdditions& add) {
  std::string s;
  for (const auto& d : add.devices) {
    s += "  device " + d.path + " " + std::to_string(d.major) + ":" + std::to_string(d.minor) + "\n";
  }
  for (const auto& m : add.mounts) s += "  mount " + m.source + " -> " + m.destination + "\n";
  for (const auto& e : add.env) s += "  env " + e + "\n";
  return s;
}

class GpuOnHost : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    if (!path_exists("/proc/driver/nvidia/gpus")) {
      GTEST_SKIP() << "no NVIDIA GPU here: /proc/driver/nvidia/gpus is absent";
    }
    gpu::GpuIsolatorOptions options;
    options.state_dir = state_.path("gpu");
    auto isolator = NvidiaGpuIsolator::create(options);
    ASSERT_TRUE(isolator.ok()) << isolator.error().message();
    isolator_ = std::move(isolator).value();
    if (isolator_->host().gpus.empty()) GTEST_SKIP() << "the NVIDIA driver offers no GPU here";
    std::cout << "GPUs: " << isolator_->host().gpus.size() << ", driver " << isolator_->host().driver_version << "\n";
  }
  void TearDown() override {
    for (const auto& id : prepared_) {
      if (isolator_) (void)isolator_->cleanup(gpu_container(id, 0));
    }
  }
  Status prepare(const ContainerConfig& c, LaunchAdditions& add) {
    prepared_.push_back(c.id);
    return isolator_->prepare(c, add);
  }

  TempDir state_{"berth-gpu-it-"};
  std::unique_ptr<NvidiaGpuIsolator> isolator_;
  std::vector<std::string> prepared_;
};

TEST_F(GpuOnHost, NvidiaSmiInTheContainerListsExactlyTheAllottedGpu) {
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  const std::string id = fx.new_id("gpu");
  LaunchAdditions add;
  auto st = prepare(gpu_container(id, 1), add);
  ASSERT_TRUE(st.ok()) << st.error().message();
  isolators::Usage usage;
  ASSERT_TRUE(isolator_->usage(gpu_container(id, 1), usage).ok());
  ASSERT_EQ(usage.gpus.size(), 1U);
  const std::string allotted = usage.gpus[0];

  std::string smi;
  for (const auto& m : add.mounts) {
    if (smi.empty() && m.destination.ends_with("/nvidia-smi")) smi = m.destination;
  }
  ASSERT_FALSE(smi.empty()) << "prepare() found no nvidia-smi to bind; additions:\n" << dump(add);

  for (const auto& dir : kGlibcDirs) {
    if (is_dir(dir)) add_mount(fx, dir, "bind", dir, {"rbind", "ro", "nosuid", "nodev"});
  }
  // Deny every device by default: the container then reaches only the standard devices and
  // the linux.devices the isolator asked for.
  set_json(fx, "linux", "resources", R"({"devices": [{"allow": false, "access": "rwm"}]})");
  set_args(fx, {smi, "-L"});
  fx.save_config();
  auto config = read_file(fx.config_path());
  ASSERT_TRUE(config.ok()) << config.error().message();
  auto merged = isolators::add_to_config(*config, add);
  ASSERT_TRUE(merged.ok()) << merged.error().message();
  ASSERT_TRUE(write_file(fx.config_path(), *merged).ok());

  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id}, {}, std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r << "\nadditions:\n" << dump(add);
  std::cout << r.out;
  EXPECT_EQ(uuids_in(r.out), std::vector<std::string>{allotted}) << r << "\nadditions:\n" << dump(add);
}

TEST_F(GpuOnHost, ContainerAskingMoreGpusThanAreFreeIsRefused) {
  const auto total = static_cast<uint32_t>(isolator_->host().gpus.size());
  LaunchAdditions first;
  auto st = prepare(gpu_container("gpu-it-first", 1), first);
  ASSERT_TRUE(st.ok()) << st.error().message();

  LaunchAdditions second;
  auto refused = prepare(gpu_container("gpu-it-second", total), second);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "container \"gpu-it-second\" asks for " + std::to_string(total) +
                                           (total == 1 ? " GPU; " : " GPUs; ") + std::to_string(total - 1) + " of " +
                                           std::to_string(total) + " free");
  EXPECT_TRUE(second.devices.empty());
  isolators::Usage usage;
  ASSERT_TRUE(isolator_->usage(gpu_container("gpu-it-second", total), usage).ok());
  EXPECT_TRUE(usage.gpus.empty());

  // The refusal reserved nothing: once the first lets go, the same request fits.
  ASSERT_TRUE(isolator_->cleanup(gpu_container("gpu-it-first", 1)).ok());
  LaunchAdditions again;
  st = prepare(gpu_container("gpu-it-second", total), again);
  EXPECT_TRUE(st.ok()) << st.error().message();
}

}  // namespace
}  // namespace berth::integration
