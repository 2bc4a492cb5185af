// The less common process and mount attributes: personality, scheduler, I/O priority,
// tmpcopyup, and the JSON log runc's callers (containerd, conmon) read errors from.
// Runs real busybox containers: needs root.
#include <string>

#include "common/file.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

RunResult run_with(BundleFixture& fx, const std::vector<std::string>& args) {
  set_args(fx, args);
  fx.save_config();
  return fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("attr")});
}

TEST(ProcessAttrs, Linux32PersonalityShowsA32BitMachine) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_json(fx, "linux", "personality", R"({"domain": "LINUX32"})");
  RunResult r = run_with(fx, {"uname", "-m"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "i686\n") << r;
}

TEST(ProcessAttrs, SchedulerPolicyIsApplied) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_json(fx, "process", "scheduler", R"({"policy": "SCHED_BATCH"})");
  // Field 41 of /proc/<pid>/stat is the policy as a number: SCHED_BATCH is 3.
  RunResult r = run_with(fx, {"sh", "-c", "cut -d' ' -f41 /proc/$$/stat"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "3\n") << r;
}

TEST(ProcessAttrs, IoPriorityClassIsApplied) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_json(fx, "process", "ioPriority", R"({"class": "IOPRIO_CLASS_IDLE", "priority": 0})");
  RunResult r = run_with(fx, {"sh", "-c", "ionice -p $$"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "idle\n") << r;
}

TEST(ProcessAttrs, TmpcopyupKeepsTheImagesFilesInTheNewTmpfs) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  ASSERT_TRUE(mkdir_p(fx.rootfs() + "/etc/skel").ok());
  ASSERT_TRUE(write_file(fx.rootfs() + "/etc/skel/profile", "from-image\n").ok());
  add_mount(fx, "/etc/skel", "tmpfs", "tmpfs", {"tmpcopyup"});
  RunResult r = run_with(fx, {"sh", "-c",
                              "cat /etc/skel/profile; grep -c ' /etc/skel tmpfs' /proc/mounts; "
                              "echo new > /etc/skel/profile"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "from-image\n1\n") << r;
  EXPECT_EQ(read_file(fx.rootfs() + "/etc/skel/profile").value(), "from-image\n") << "the write reached the image";
}

TEST(ProcessAttrs, JsonLogCarriesTheErrorForTheCaller) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  set_args(fx, {});
  fx.save_config();
  std::string log = fx.dir() + "/runtime.log";
  RunResult r = run_cmd({berth_oci_binary(), "--root", fx.state_root(), "--log", log, "--log-format", "json", "create",
                         "--bundle", fx.bundle(), fx.new_id("log")});
  EXPECT_EQ(r.exit_code, 1) << r;
  auto text = read_file(log);
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_NE(text->find(R"("level":"error")"), std::string::npos) << *text;
  EXPECT_NE(text->find(R"(process.args: must not be empty)"), std::string::npos) << *text;
  EXPECT_NE(text->find(R"("time":")"), std::string::npos) << *text;
}

}  // namespace
}  // namespace berth::integration
