// CNI configuration lists as a runtime loads them: lists and single plugin files, sorted by
// file name, capabilities read, and bad files refused naming the file and the field.
#include "networking/cni/cni_config.h"

#include <gtest/gtest.h>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::cni {
namespace {

constexpr const char* kList = R"({"cniVersion": "1.0.0", "name": "berthnet", "plugins": [
  {"type": "bridge", "bridge": "berth0", "ipam": {"type": "host-local"}},
  {"type": "portmap", "capabilities": {"portMappings": true, "other": false}}]})";

TEST(CniConfig, ListKeepsPluginsInOrderWithTheirCapabilities) {
  auto list = parse_network_config(kList, "/etc/cni/net.d/10-berth.conflist");
  ASSERT_TRUE(list) << list.error().message();
  EXPECT_EQ(list->name, "berthnet");
  EXPECT_EQ(list->cni_version, "1.0.0");
  ASSERT_EQ(list->plugins.size(), 2U);
  EXPECT_EQ(list->plugins[0].type, "bridge");
  EXPECT_NE(list->plugins[0].json.find("\"berth0\""), std::string::npos);
  EXPECT_EQ(list->plugins[1].capabilities, std::vector<std::string>{"portMappings"});
  EXPECT_EQ(list->text, kList);
}

TEST(CniConfig, SinglePluginFileBecomesAListOfOne) {
  auto list = parse_network_config(R"({"cniVersion": "0.4.0", "name": "lo", "type": "loopback"})", "99-lo.conf");
  ASSERT_TRUE(list) << list.error().message();
  ASSERT_EQ(list->plugins.size(), 1U);
  EXPECT_EQ(list->plugins[0].type, "loopback");
}

TEST(CniConfig, BadFilesAreRefusedNamingFileAndField) {
  auto no_name = parse_network_config(R"({"plugins": [{"type": "bridge"}]})", "a.conflist");
  ASSERT_FALSE(no_name);
  EXPECT_EQ(no_name.error().message(), "CNI configuration a.conflist: (root): has no \"name\"");
  auto no_type = parse_network_config(R"({"name": "n", "plugins": [{"bridge": "x"}]})", "b.conflist");
  ASSERT_FALSE(no_type);
  EXPECT_NE(no_type.error().message().find("plugins[0]: has no \"type\""), std::string::npos)
      << no_type.error().message();
  auto path_type = parse_network_config(R"({"name": "n", "type": "../../bin/sh"})", "c.conf");
  ASSERT_FALSE(path_type);
  EXPECT_NE(path_type.error().message().find("must be a plugin name"), std::string::npos);
  EXPECT_FALSE(parse_network_config(R"({"name": "n", "plugins": []})", "d.conflist"));
  EXPECT_FALSE(parse_network_config("{", "e.conflist"));
}

TEST(CniConfig, DirectoryIsReadInFileNameOrderAndFoundByName) {
  TempDir dir("berth-cni-");
  ASSERT_TRUE(write_file(dir.path() + "/20-b.conflist", R"({"name": "second", "plugins": [{"type": "bridge"}]})"));
  ASSERT_TRUE(write_file(dir.path() + "/10-a.conf", R"({"name": "first", "type": "loopback"})"));
  ASSERT_TRUE(write_file(dir.path() + "/README", "not a configuration"));
  auto lists = load_network_configs(dir.path());
  ASSERT_TRUE(lists) << lists.error().message();
  ASSERT_EQ(lists->size(), 2U);
  EXPECT_EQ((*lists)[0].name, "first");
  auto second = find_network_config(dir.path(), "second");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->plugins[0].type, "bridge");
  auto first = find_network_config(dir.path(), "");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->name, "first");
  auto missing = find_network_config(dir.path(), "third");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("(it has: first, second)"), std::string::npos) << missing.error().message();
}

}  // namespace
}  // namespace berth::cni
