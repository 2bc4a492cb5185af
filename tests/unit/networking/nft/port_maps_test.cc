#include "networking/nft/port_maps.h"

#include <gtest/gtest.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <string>

#include "networking/nft/nft_socket.h"

namespace berth::nft {
namespace {

networking::IpAddress ip(const char* text) { return networking::IpAddress::parse(text).value(); }

PortMapping mapping(Protocol protocol, std::optional<networking::IpAddress> host_ip, uint16_t host_port,
                    const char* container_ip, uint16_t container_port) {
  return PortMapping{protocol, host_ip, host_port, std::nullopt, ip(container_ip), container_port};
}

TEST(PortMapsTest, MappingGoesToTheMapOfItsFamilyAndHostAddress) {
  EXPECT_EQ(map_of(mapping(Protocol::kTcp, std::nullopt, 80, "10.88.0.2", 80)), PortMap::kPorts4);
  EXPECT_EQ(map_of(mapping(Protocol::kTcp, ip("127.0.0.1"), 80, "10.88.0.2", 80)), PortMap::kPorts4Addr);
  EXPECT_EQ(map_of(mapping(Protocol::kUdp, std::nullopt, 53, "fd00::2", 53)), PortMap::kPorts6);
  EXPECT_EQ(map_of(mapping(Protocol::kUdp, ip("fd00::1"), 53, "fd00::2", 53)), PortMap::kPorts6Addr);
  EXPECT_EQ(map_name(kPortMaps[0]), "ports4addr") << "a host address is looked up before every address";
}

TEST(PortMapsTest, ElementFieldsTakeWholeRegistersInNetworkOrder) {
  PortElement e = port_element("web", mapping(Protocol::kTcp, ip("127.0.0.1"), 8080, "10.88.0.2", 80));
  EXPECT_EQ(e.map, PortMap::kPorts4Addr);
  EXPECT_EQ(e.key, (std::vector<uint8_t>{127, 0, 0, 1, 6, 0, 0, 0, 0x1f, 0x90, 0, 0}));
  EXPECT_EQ(e.data, (std::vector<uint8_t>{10, 88, 0, 2, 0, 80, 0, 0}));
  EXPECT_EQ(e.container_id, "web");
  PortElement v6 = port_element("dns", mapping(Protocol::kUdp, std::nullopt, 53, "fd00::2", 5353));
  EXPECT_EQ(v6.key, (std::vector<uint8_t>{17, 0, 0, 0, 0, 53, 0, 0}));
  EXPECT_EQ(v6.data.size(), 20U);
}

TEST(PortMapsTest, MappingReadsBackFromItsElement) {
  for (const PortMapping& m : {mapping(Protocol::kTcp, std::nullopt, 8080, "10.88.0.2", 80),
                               mapping(Protocol::kUdp, ip("127.0.0.1"), 53, "10.88.0.9", 5353),
                               mapping(Protocol::kTcp, ip("::1"), 443, "fd00:be7::2", 8443),
                               mapping(Protocol::kUdp, std::nullopt, 65535, "fd00:be7::2", 1)}) {
    auto back = mapping_of(port_element("c", m));
    ASSERT_TRUE(back.has_value()) << m.to_string();
    EXPECT_EQ(*back, m) << back->to_string();
  }
  PortElement sctp = port_element("c", mapping(Protocol::kTcp, std::nullopt, 80, "10.88.0.2", 80));
  sctp.key[0] = 132;
  EXPECT_FALSE(mapping_of(sctp).has_value()) << "only TCP and UDP are mappings";
  EXPECT_EQ(describe(sctp), "map ports4 key 0x8400000000500000 data 0x0a58000200500000");
  PortElement short_key = sctp;
  short_key.key.resize(4);
  EXPECT_FALSE(mapping_of(short_key).has_value());
}

TEST(PortMapsTest, ElementsSplitIntoMessagesAndReadBackWithTheirComments) {
  std::vector<PortElement> elements;
  for (uint16_t port = 1; port <= kElementsPerMessage + 1; ++port) {
    elements.push_back(port_element("web", mapping(Protocol::kTcp, std::nullopt, port, "10.88.0.2", port)));
  }
  elements.back().container_id.reset();  // untagged, as a foreign element would be
  auto messages = element_messages("berth", PortMap::kPorts4, elements, false);
  ASSERT_EQ(messages.size(), 2U);
  std::vector<PortElement> back = elements_of(PortMap::kPorts4, messages[0].get());
  std::vector<PortElement> rest = elements_of(PortMap::kPorts4, messages[1].get());
  EXPECT_EQ(back.size(), kElementsPerMessage);
  back.insert(back.end(), rest.begin(), rest.end());
  EXPECT_EQ(back, elements);
  auto keys = element_messages("berth", PortMap::kPorts4, {elements[0]}, true);
  std::vector<PortElement> key_only = elements_of(PortMap::kPorts4, keys.at(0).get());
  ASSERT_EQ(key_only.size(), 1U);
  EXPECT_EQ(key_only[0].key, elements[0].key);
  EXPECT_TRUE(key_only[0].data.empty() && !key_only[0].container_id) << "deletion needs only the key";
}

TEST(PortMapsTest, FullMessageOfTheLargestElementsFitsABatchMessage) {
  const std::string longest_id(kMaxTaggedIdLength, 'x');
  std::vector<PortElement> elements;
  for (uint16_t port = 1; port <= kElementsPerMessage; ++port) {
    elements.push_back(port_element(longest_id, mapping(Protocol::kUdp, ip("fd00::1"), port, "fd00::2", port)));
  }
  auto messages = element_messages(std::string(255, 't'), PortMap::kPorts6Addr, elements, false);
  ASSERT_EQ(messages.size(), 1U);
  std::vector<char> buf(4 * Batch::kMaxMessage);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWSETELEM, NFPROTO_INET, 0, 0);
  nftnl_set_elems_nlmsg_build_payload(nlh, messages[0].get());
  EXPECT_LE(nlh->nlmsg_len, Batch::kMaxMessage);
  EXPECT_GT(nlh->nlmsg_len, Batch::kMaxMessage / 2) << "the elements are in the message";
}

TEST(PortMapsTest, MapsAreTypedForNft) {
  // The concatenated type ids nft shows as "ipv4_addr . inet_proto . inet_service" and
  // "ipv6_addr . inet_service".
  SetPtr v4 = map_object("berth", PortMap::kPorts4Addr);
  EXPECT_EQ(nftnl_set_get_u32(v4.get(), NFTNL_SET_KEY_TYPE), ((7U << 6 | 12U) << 6) | 13U);
  EXPECT_EQ(nftnl_set_get_u32(v4.get(), NFTNL_SET_KEY_LEN), 12U);
  SetPtr v6 = map_object("berth", PortMap::kPorts6);
  EXPECT_EQ(nftnl_set_get_u32(v6.get(), NFTNL_SET_DATA_TYPE), (8U << 6) | 13U);
  EXPECT_EQ(nftnl_set_get_u32(v6.get(), NFTNL_SET_DATA_LEN), 20U);
  EXPECT_EQ(nftnl_set_get_u32(v6.get(), NFTNL_SET_KEY_LEN), 8U);
}

}  // namespace
}  // namespace berth::nft
