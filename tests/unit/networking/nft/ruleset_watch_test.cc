#include "networking/nft/ruleset_watch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <string>
#include <vector>

#include "networking/nft/port_maps.h"

namespace berth::nft {
namespace {

constexpr uint32_t kOurPort = 4242;
constexpr uint32_t kTheirPort = 777;
const WatchedTable kTable{"berth", kOurPort};

// Notifications as the kernel sends them, appended to one datagram.
class Datagram {
 public:
  // A set element added to `table`'s map ports4 by the socket with port id `portid`.
  Datagram& element(uint32_t portid, const std::string& table, uint16_t family = NFPROTO_INET) {
    nlmsghdr* nlh = start(NFT_MSG_NEWSETELEM, family, portid);
    const std::vector<SetPtr> sets = element_messages(table, PortMap::kPorts4, {element_for_port(80)}, false);
    nftnl_set_elems_nlmsg_build_payload(nlh, sets.front().get());
    return finish(nlh);
  }
  Datagram& deleted_table(uint32_t portid, const std::string& table) {
    nlmsghdr* nlh = start(NFT_MSG_DELTABLE, NFPROTO_INET, portid);
    nftnl_table* t = nftnl_table_alloc();
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, table.c_str());
    nftnl_table_nlmsg_build_payload(nlh, t);
    nftnl_table_free(t);
    return finish(nlh);
  }
  // A message of type `type` with no attributes at all.
  Datagram& bare(uint16_t type, uint32_t portid) { return finish(start(type, NFPROTO_INET, portid)); }
  // A conntrack message, which the nf_tables group never carries.
  Datagram& other_subsystem(uint32_t portid) {
    nlmsghdr* nlh = start(NFT_MSG_NEWTABLE, NFPROTO_INET, portid);
    nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8;
    return finish(nlh);
  }
  Datagram& new_generation(uint32_t generation, uint32_t portid) {
    nlmsghdr* nlh = start(NFT_MSG_NEWGEN, NFPROTO_UNSPEC, portid);
    mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(generation));
    return finish(nlh);
  }

  [[nodiscard]] RulesetNews read(size_t cut = 0) const {
    RulesetNews news;
    read_notifications(std::span(bytes_.data(), bytes_.size() - cut), kTable, news);
    return news;
  }

 private:
  static PortElement element_for_port(uint16_t port) {
    return port_element("web", PortMapping{Protocol::kTcp, std::nullopt, port, std::nullopt,
                                           networking::IpAddress::parse("10.88.0.2").value(), 80});
  }
  nlmsghdr* start(uint16_t type, uint16_t family, uint32_t portid) {
    scratch_.assign(8192, 0);
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(scratch_.data(), type, family, 0, 1);
    nlh->nlmsg_pid = portid;
    return nlh;
  }
  Datagram& finish(const nlmsghdr* nlh) {
    const auto* p = reinterpret_cast<const uint8_t*>(nlh);
    bytes_.insert(bytes_.end(), p, p + NLMSG_ALIGN(nlh->nlmsg_len));
    return *this;
  }

  std::vector<char> scratch_;
  std::vector<uint8_t> bytes_;
};

TEST(RulesetWatchTest, ElementAddedToOurTableByAnotherSocketIsAChange) {
  const RulesetNews news = Datagram().element(kTheirPort, "berth").new_generation(7, kTheirPort).read();
  EXPECT_TRUE(news.table_changed);
  EXPECT_EQ(news.generation, 7U);
}

TEST(RulesetWatchTest, OurOwnChangesAreNoChange) {
  const RulesetNews news =
      Datagram().element(kOurPort, "berth").deleted_table(kOurPort, "berth").new_generation(8, kOurPort).read();
  EXPECT_FALSE(news.table_changed);
  EXPECT_EQ(news.generation, 8U);
}

TEST(RulesetWatchTest, ChangesToOtherTablesOnlyMoveTheGeneration) {
  Datagram d;
  d.element(kTheirPort, "berth-b").new_generation(9, kTheirPort);
  d.element(kTheirPort, "berth", NFPROTO_IPV4).new_generation(10, kTheirPort);  // same name, family ip
  d.deleted_table(kTheirPort, "kube-proxy").new_generation(11, kTheirPort);
  const RulesetNews news = d.read();
  EXPECT_FALSE(news.table_changed);
  EXPECT_EQ(news.generation, 11U) << "the last announced generation";
}

TEST(RulesetWatchTest, NoNotificationsSayNothing) {
  const RulesetNews news = Datagram().read();
  EXPECT_FALSE(news.table_changed);
  EXPECT_FALSE(news.generation.has_value());
}

TEST(RulesetWatchTest, WhatCannotBeReadCountsAsAChange) {
  EXPECT_TRUE(Datagram().bare(NFT_MSG_DELTABLE, kTheirPort).read().table_changed) << "a table-less message";
  EXPECT_TRUE(Datagram().bare(NFT_MSG_MAX + 3, kTheirPort).read().table_changed) << "a message type we do not know";
  EXPECT_TRUE(Datagram().bare(NFT_MSG_NEWGEN, kTheirPort).read().table_changed) << "a generation without its id";
  EXPECT_TRUE(Datagram().element(kTheirPort, "berth-b").read(4).table_changed) << "a message cut short";
  EXPECT_TRUE(Datagram().other_subsystem(kTheirPort).read().table_changed) << "not an nf_tables message";
}

}  // namespace
}  // namespace berth::nft
