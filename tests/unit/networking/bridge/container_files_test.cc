// The files bridge mode writes for a container: /etc/hosts naming it on each of its
// addresses, the host's resolv.conf without the loopback resolvers its namespace cannot
// reach, /etc/hostname; written into a rootfs without a symlink in it leading out.
#include "networking/bridge/container_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::networking {
namespace {

std::vector<IpAddress> addresses(std::initializer_list<const char*> texts) {
  std::vector<IpAddress> out;
  for (const char* t : texts) out.push_back(*IpAddress::parse(t));
  return out;
}

TEST(BridgeMode, HostsAndResolvConfForTheContainer) {
  EXPECT_NE(hosts_file("web", addresses({"10.88.0.5"})).find("10.88.0.5\tweb\n"), std::string::npos);
  EXPECT_EQ(resolv_conf("search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.1\noptions edns0\n"),
            "search lan\nnameserver 10.0.0.1\noptions edns0\n");
}

TEST(ContainerFiles, DualStackHostsFileNamesTheContainerOnBothAddresses) {
  const std::string hosts = hosts_file("web", addresses({"10.88.0.5", "fd00:be7::5"}));
  EXPECT_NE(hosts.find("\n10.88.0.5\tweb\n"), std::string::npos) << hosts;
  EXPECT_NE(hosts.find("\nfd00:be7::5\tweb\n"), std::string::npos) << hosts;
  EXPECT_TRUE(hosts.starts_with("127.0.0.1\tlocalhost\n")) << hosts;
}

TEST(ContainerFiles, NameFilesAreWrittenIntoTheRootfsEtc) {
  TempDir root("berth-files-test-");
  ASSERT_FALSE(root.path().empty());
  const auto files = container_files("web", addresses({"10.88.0.5"}), "nameserver 10.0.0.1\n");
  ASSERT_TRUE(write_container_files(root.path(), files)) << "etc is made when missing";
  EXPECT_EQ(read_file(root.path("etc/hosts")).value(), files.hosts);
  EXPECT_EQ(read_file(root.path("etc/resolv.conf")).value(), "nameserver 10.0.0.1\n");
  EXPECT_EQ(read_file(root.path("etc/hostname")).value(), "web\n");

  // A second write replaces the files and leaves no temp file behind.
  const auto renamed = container_files("db", addresses({"10.88.0.6"}), "");
  ASSERT_TRUE(write_container_files(root.path(), renamed));
  EXPECT_EQ(read_file(root.path("etc/hostname")).value(), "db\n");
  auto names = list_dir(root.path("etc")).value();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"hostname", "hosts", "resolv.conf"}));
}

TEST(ContainerFiles, EtcSymlinkPointingOutOfTheRootfsStaysInsideIt) {
  TempDir outside("berth-files-outside-");
  TempDir root("berth-files-test-");
  ASSERT_FALSE(outside.path().empty() || root.path().empty());
  // An image whose /etc is an absolute symlink: it must resolve beneath the rootfs.
  ASSERT_EQ(::symlink(outside.path().c_str(), root.path("etc").c_str()), 0);
  ASSERT_TRUE(write_container_files(root.path(), container_files("web", addresses({"10.88.0.5"}), "")));
  EXPECT_TRUE(list_dir(outside.path()).value().empty()) << "nothing is written outside the rootfs";
  EXPECT_EQ(read_file(root.path(outside.path() + "/hostname")).value(), "web\n");
}

TEST(ContainerFiles, WritingIntoAMissingRootfsNamesIt) {
  auto s = write_container_files("/nonexistent/berth-rootfs", {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("/nonexistent/berth-rootfs"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace berth::networking
