// linux.resources.blockIO throttles on a real block device (a loop device): a container
// reading it with direct I/O under a read limit of 512 KiB/s takes as long as the limit says
// (blkio.throttle on v1, io.max on v2). Needs root and a loop device.
#include <chrono>
#include <string>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/loop_device.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using Clock = std::chrono::steady_clock;

bool can_throttle_io() {
  if (path_exists("/sys/fs/cgroup/cgroup.controllers")) {
    auto controllers = read_file("/sys/fs/cgroup/cgroup.controllers");
    return controllers && controllers->find("io") != std::string::npos;
  }
  return path_exists("/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device");
}

// Reads 1 MiB of `device` (inside: /dev/berthloop) with direct I/O in a container whose reads
// of it are limited to `rate` bytes a second (none when 0); the time the run took.
Clock::duration timed_read(const LoopDevice& device, uint64_t rate, RunResult& r) {
  BundleFixture fx({.args = {"dd", "if=/dev/berthloop", "of=/dev/null", "bs=64k", "count=16", "iflag=direct"}});
  if (!fx.ok()) {
    r.err = fx.error();
    return {};
  }
  const std::string dev = std::to_string(device.major()) + ", \"minor\": " + std::to_string(device.minor());
  set_json(fx, "linux", "devices",
           R"([{"path": "/dev/berthloop", "type": "b", "major": )" + dev + R"(, "fileMode": 432}])");
  if (rate > 0) {
    set_json(fx, "linux", "resources",
             R"({"devices": [{"allow": false, "access": "rwm"}], "blockIO": {"throttleReadBpsDevice": [{"major": )" +
                 dev + R"(, "rate": )" + std::to_string(rate) + "}]}}");
  }
  fx.save_config();
  const auto t0 = Clock::now();
  r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("io")});
  return Clock::now() - t0;
}

TEST(IoThrottle, ReadRateLimitHoldsOnABlockDevice) {
  skip_unless_root();
  if (!can_throttle_io()) GTEST_SKIP() << "no blkio (v1) or io (v2) cgroup controller";
  TempDir tmp("berth-it-io-");
  LoopDevice loop(tmp.path() + "/disk.img", 16 << 20);
  if (!loop.ok()) GTEST_SKIP() << loop.error();

  RunResult free_run;
  const auto unthrottled = timed_read(loop, 0, free_run);
  ASSERT_TRUE(free_run.ok()) << free_run;
  EXPECT_NE(free_run.err.find("16+0 records in"), std::string::npos) << free_run;

  RunResult slow_run;
  const auto throttled = timed_read(loop, 512 << 10, slow_run);
  ASSERT_TRUE(slow_run.ok()) << slow_run;
  EXPECT_NE(slow_run.err.find("16+0 records in"), std::string::npos) << slow_run;
  // 1 MiB at 512 KiB/s: about 2 s (the first slice may let a little through at once).
  EXPECT_GE(throttled, std::chrono::milliseconds(1500))
      << "throttled read took " << std::chrono::duration<double>(throttled).count() << " s";
  EXPECT_LE(throttled, std::chrono::seconds(6));
  EXPECT_LT(unthrottled, std::chrono::milliseconds(1000))
      << "unthrottled read took " << std::chrono::duration<double>(unthrottled).count() << " s";
}

}  // namespace
}  // namespace berth::integration
