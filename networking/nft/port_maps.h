// The four nftables maps that hold berth's published ports (layout in rule_builder.h): which
// map a mapping goes to, the maps' definitions, and their elements as plain bytes (key, data,
// the container's comment) built from a mapping and read back from a dump. Publishing a port
// adds an element, which costs the same however many are there; a rule would make the kernel
// validate the whole table. No kernel calls here: nat_table.cc sends and receives these.
#pragma once

#include <libnftnl/set.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "networking/addr/ip_address.h"
#include "networking/nft/port_mapping.h"

namespace berth::nft {

struct SetDeleter {
  void operator()(nftnl_set* s) const { nftnl_set_free(s); }
};
using SetPtr = std::unique_ptr<nftnl_set, SetDeleter>;

// ports4addr: ip daddr . meta l4proto . th dport -> ipv4_addr . inet_service
// ports4:     meta l4proto . th dport            -> ipv4_addr . inet_service
// ports6addr, ports6: the same for IPv6.
enum class PortMap : uint8_t { kPorts4Addr, kPorts4, kPorts6Addr, kPorts6 };
// In lookup order: a port published on one host address wins over the same port on all.
inline constexpr std::array<PortMap, 4> kPortMaps = {PortMap::kPorts4Addr, PortMap::kPorts4, PortMap::kPorts6Addr,
                                                     PortMap::kPorts6};

std::string_view map_name(PortMap map);
networking::Family family_of(PortMap map);
// Whether the map's key starts with the destination (host) address.
bool keyed_by_address(PortMap map);
// The map a single-port mapping belongs in.
PortMap map_of(const PortMapping& mapping);

// The map's definition, for NFT_MSG_NEWSET: a hash map with concatenated key and data, each
// field in whole 4-byte registers, typed so that `nft list` shows addresses and services.
SetPtr map_object(std::string_view table, PortMap map);

// One element of a map as the kernel holds it.
struct PortElement {
  PortMap map = PortMap::kPorts4;
  std::vector<uint8_t> key;
  std::vector<uint8_t> data;
  std::optional<std::string> container_id;  // from the comment berth:<id>; none if untagged
  friend bool operator==(const PortElement&, const PortElement&) = default;
};

// The element publishing the single-port `mapping` for the container.
PortElement port_element(std::string_view container_id, const PortMapping& mapping);
// The mapping an element stands for; nullopt when key or data do not read as one.
std::optional<PortMapping> mapping_of(const PortElement& element);
// "map ports4 key 0x... data 0x...": for an element that is not a mapping.
std::string describe(const PortElement& element);

// At most this many elements go in one NEWSETELEM/DELSETELEM message: with the longest
// comment an element takes about 200 bytes, and a message must fit Batch::kMaxMessage.
inline constexpr size_t kElementsPerMessage = 64;
// `elements` (all of one map) as sets to send, one message each; with keys_only (deletion)
// the elements carry just their keys.
std::vector<SetPtr> element_messages(std::string_view table, PortMap map, const std::vector<PortElement>& elements,
                                     bool keys_only);
// The elements of a set filled by a dump of `map`.
std::vector<PortElement> elements_of(PortMap map, nftnl_set* set);

}  // namespace berth::nft
