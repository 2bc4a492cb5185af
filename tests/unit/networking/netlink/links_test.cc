// Reading links, addresses and routes of this process's own namespace over rtnetlink (no root
// needed), and the errors a user sees for missing links and bad names. Changing links needs
// root: tests/integration/networking_*_test.cc.
#include "networking/netlink/links.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "networking/netlink/addresses.h"
#include "networking/netlink/routes.h"

namespace berth::networking {
namespace {

RtnlSocket host_socket() {
  auto nl = RtnlSocket::open();
  EXPECT_TRUE(nl.ok()) << nl.error().message();
  return std::move(nl).value();
}

TEST(Links, LoopbackIsFoundByNameAndByIndex) {
  RtnlSocket nl = host_socket();
  auto lo = find_link(nl, "lo");
  ASSERT_TRUE(lo.ok()) << lo.error().message();
  EXPECT_GT(lo->index, 0);
  EXPECT_EQ(lo->name, "lo");
  EXPECT_GT(lo->mtu, 0U);
  auto same = find_link(nl, lo->index);
  ASSERT_TRUE(same.ok()) << same.error().message();
  EXPECT_EQ(same->name, "lo");
}

TEST(Links, MissingLinkIsNamedInTheError) {
  RtnlSocket nl = host_socket();
  auto link = find_link(nl, "berth-nolink");
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.error().code(), ENODEV);
  EXPECT_EQ(link.error().message(), "find link berth-nolink: No such device");
  auto by_index = find_link(nl, 0);
  ASSERT_FALSE(by_index.ok());
  EXPECT_EQ(by_index.error().message(), "find link #0: not a link index");
}

TEST(Links, RemovingAMissingLinkIsNotAnErrorButDeletingOneIs) {
  RtnlSocket nl = host_socket();
  if (::geteuid() != 0) {
    // Without CAP_NET_ADMIN the kernel refuses before it looks.
    Status refused = remove_link(nl, "berth-nolink");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message(), "delete link berth-nolink: Operation not permitted");
    return;
  }
  EXPECT_TRUE(remove_link(nl, "berth-nolink").ok());
  Status deleted = delete_link(nl, "berth-nolink");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().message(), "delete link berth-nolink: No such device");
}

TEST(Links, ListIncludesLoopbackOnce) {
  RtnlSocket nl = host_socket();
  auto links = list_links(nl);
  ASSERT_TRUE(links.ok()) << links.error().message();
  EXPECT_EQ(std::count_if(links->begin(), links->end(), [](const Link& l) { return l.name == "lo"; }), 1);
}

TEST(Links, NamesTheKernelWouldRefuseAreRefusedWithTheReason) {
  EXPECT_EQ(check_link_name("berth-0123456789").error().message(),
            "interface name \"berth-0123456789\": longer than 15 characters");
  EXPECT_EQ(check_link_name("").error().message(), "empty interface name");
  EXPECT_EQ(check_link_name("a/b").error().message(), "interface name \"a/b\": contains '/', ':', whitespace or NUL");
  EXPECT_EQ(check_link_name("..").error().message(), "interface name \"..\": not allowed");
  EXPECT_TRUE(check_link_name("berth-v4194304").ok());
}

TEST(Links, BadNamesInACreateAreReportedWithTheOperation) {
  RtnlSocket nl = host_socket();
  Status s = create_veth(nl, "berth-v1", "eth0/1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "create veth berth-v1 <-> eth0/1: interface name \"eth0/1\": contains '/', ':', whitespace or NUL");
  Status b = create_bridge(nl, "berth-much-too-long");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message(),
            "create bridge berth-much-too-long: interface name \"berth-much-too-long\": longer than 15 characters");
}

TEST(Links, MalformedMacAndOverlongAliasAreRefusedBeforeTheKernelSeesThem) {
  RtnlSocket nl = host_socket();
  Status mac = set_link_mac(nl, "lo", "02:42:ac:11:00");
  ASSERT_FALSE(mac.ok());
  EXPECT_EQ(
      mac.error().message(),
      "set MAC address of link lo to 02:42:ac:11:00: \"02:42:ac:11:00\" is not a MAC address (xx:xx:xx:xx:xx:xx)");
  EXPECT_FALSE(set_link_mac(nl, "lo", "02:42:ac:11:00:0g").ok());
  Status alias = set_link_alias(nl, "lo", std::string(256, 'a'));
  ASSERT_FALSE(alias.ok());
  EXPECT_NE(alias.error().message().find("longer than 255 bytes"), std::string::npos) << alias.error().message();
}

TEST(Links, HashedNamesAreStablePerKeyAndFitAnInterfaceName) {
  const std::string name = hashed_link_name("berthv", "container-1");
  EXPECT_EQ(name, hashed_link_name("berthv", "container-1"));
  EXPECT_NE(name, hashed_link_name("berthv", "container-2"));
  EXPECT_EQ(name.rfind("berthv", 0), 0U);
  EXPECT_EQ(name.size(), kMaxLinkNameLength - 1);
  EXPECT_TRUE(check_link_name(name).ok());
}

TEST(Addresses, LoopbackHasItsAddress) {
  RtnlSocket nl = host_socket();
  auto addrs = list_addresses(nl, "lo");
  ASSERT_TRUE(addrs.ok()) << addrs.error().message();
  const IpPrefix loopback = *IpPrefix::parse("127.0.0.1/8");
  EXPECT_TRUE(std::any_of(addrs->begin(), addrs->end(), [&](const LinkAddress& a) { return a.prefix == loopback; }));
  auto all = list_all_addresses(nl);
  ASSERT_TRUE(all.ok()) << all.error().message();
  EXPECT_GE(all->size(), addrs->size());
  auto missing = list_addresses(nl, "berth-nolink");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "list addresses of berth-nolink: find link berth-nolink: No such device");
}

TEST(Routes, MainTableIsListedForBothFamilies) {
  RtnlSocket nl = host_socket();
  auto v4 = list_routes(nl, Family::kIpv4);
  ASSERT_TRUE(v4.ok()) << v4.error().message();
  for (const Route& r : *v4) EXPECT_EQ(r.destination.family(), Family::kIpv4);
  auto v6 = list_routes(nl, Family::kIpv6);
  ASSERT_TRUE(v6.ok()) << v6.error().message();
  for (const Route& r : *v6) EXPECT_EQ(r.destination.family(), Family::kIpv6);
}

TEST(Routes, ARouteNeedsAGatewayOrALink) {
  RtnlSocket nl = host_socket();
  Status s = add_route(nl, *IpPrefix::parse("198.18.0.0/24"), std::nullopt);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "add route to 198.18.0.0/24: needs a gateway or a link");
  Status mixed = add_route(nl, *IpPrefix::parse("198.18.0.0/24"), *IpAddress::parse("fd00::1"));
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().message(),
            "add route to 198.18.0.0/24 via fd00::1: the gateway is not of the destination's family");
}

}  // namespace
}  // namespace berth::networking
