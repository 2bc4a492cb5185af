// Idmapped bind mounts (mount option "idmap"/"ridmap" with the mount's own uidMappings and
// gidMappings): files show through the mount with the mapped owners, the host's stay as
// they are. Runs real busybox containers: needs root.
#include <rapidjson/document.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "common/file.h"
#include "tests/integration/support/config_edit.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

void add_idmapped_mount(BundleFixture& fx, const std::string& source) {
  auto& config = fx.config();
  auto& a = config.GetAllocator();
  std::string json = R"({"destination": "/mnt", "type": "bind", "source": ")" + source +
                     R"(", "options": ["rbind", "idmap"],
      "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}],
      "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 10}]})";
  rapidjson::Document mount(&a);
  mount.Parse(json.c_str());
  ASSERT_FALSE(mount.HasParseError());
  config["mounts"].PushBack(rapidjson::Value(mount, a), a);
}

TEST(Idmap, FilesShowThroughTheMountWithMappedOwners) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  std::string host = fx.dir() + "/shared";
  ASSERT_TRUE(mkdir_p(host).ok());
  ASSERT_TRUE(write_file(host + "/by-root", "x").ok());
  ASSERT_TRUE(write_file(host + "/by-5", "x").ok());
  ASSERT_EQ(::chown((host + "/by-5").c_str(), 5, 5), 0);
  set_args(fx, {"sh", "-c", "stat -c '%n %u %g' /mnt/by-root /mnt/by-5"});
  add_idmapped_mount(fx, host);
  fx.save_config();

  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("idmap")});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "/mnt/by-root 1000 2000\n/mnt/by-5 1005 2005\n") << r;
  struct stat st {};
  ASSERT_EQ(::stat((host + "/by-5").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 5u) << "the host file's owner changed";
}

TEST(Idmap, IdmapWithoutMappingsIsAClearError) {
  skip_unless_root();
  BundleFixture fx;
  ASSERT_TRUE(fx.ok()) << fx.error();
  add_mount(fx, "/mnt", "bind", fx.dir(), {"rbind", "idmap"});
  fx.save_config();
  RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), fx.new_id("idmap")});
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_NE(r.err.find("idmap needs uidMappings and gidMappings"), std::string::npos) << r;
}

}  // namespace
}  // namespace berth::integration
