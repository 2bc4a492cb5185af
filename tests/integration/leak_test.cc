// Create/delete cycles with limits leave nothing behind: no cgroup directory in any
// hierarchy, no state directory, no mount. Runs real busybox containers: needs root.
#include <string>

#include "common/file.h"
#include "isolators/cgroups/hierarchy.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

TEST(Leaks, TwoHundredCyclesWithLimitsLeaveNoCgroupBehind) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_args(fx, {"true"});
  set_json(fx, "linux", "resources", R"({"memory": {"limit": 33554432}, "pids": {"limit": 16},
                                        "cpu": {"shares": 256, "quota": 20000, "period": 100000}})");
  fx.save_config();
  auto host = cgroups::discover();
  ASSERT_TRUE(host.ok()) << host.error().message();
  for (int i = 0; i < 200; ++i) {
    std::string id = fx.new_id("leak");
    RunResult created = fx.berth_oci({"create", "--bundle", fx.bundle(), id});
    ASSERT_TRUE(created.ok()) << "cycle " << i << "\n" << created;
    RunResult deleted = fx.berth_oci({"delete", "--force", id});
    ASSERT_TRUE(deleted.ok()) << "cycle " << i << "\n" << deleted;
    for (const auto& h : host->hierarchies) {
      ASSERT_FALSE(path_exists(h.mount_point + "/berth/" + id))
          << "cycle " << i << " left a cgroup in " << h.mount_point;
    }
    ASSERT_FALSE(path_exists(fx.state_root() + "/" + id)) << "cycle " << i << " left its state";
  }
  auto left = list_dir(fx.state_root());
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

}  // namespace
}  // namespace berth::integration
