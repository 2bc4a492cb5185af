#include "networking/nft/port_maps.h"

#include <arpa/inet.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>

#include <cstring>

#include "common/strings.h"
#include "networking/nft/tag.h"

namespace berth::nft {
namespace {

// A concatenated field takes whole 4-byte registers; the kernel zeroes the padding.
constexpr size_t kRegister = 4;
// nft's datatype ids, and how it numbers a concatenation of them (each id shifted by 6 bits,
// the first field in the highest bits).
constexpr uint32_t kIpv4AddrType = 7;
constexpr uint32_t kIpv6AddrType = 8;
constexpr uint32_t kInetProtoType = 12;
constexpr uint32_t kInetServiceType = 13;
constexpr uint32_t kConcatShift = 6;

constexpr uint32_t concat(uint32_t first, uint32_t second) { return (first << kConcatShift) | second; }

size_t address_size(PortMap map) { return family_of(map) == networking::Family::kIpv4 ? 4 : 16; }
size_t key_size(PortMap map) { return (keyed_by_address(map) ? address_size(map) : 0) + 2 * kRegister; }
size_t data_size(PortMap map) { return address_size(map) + kRegister; }

uint32_t address_type(PortMap map) {
  return family_of(map) == networking::Family::kIpv4 ? kIpv4AddrType : kIpv6AddrType;
}
uint32_t key_type(PortMap map) {
  const uint32_t proto_port = concat(kInetProtoType, kInetServiceType);
  return keyed_by_address(map) ? concat(concat(address_type(map), kInetProtoType), kInetServiceType) : proto_port;
}

void put_port(uint8_t* at, uint16_t port) {
  const uint16_t net = htons(port);
  std::memcpy(at, &net, sizeof net);
}
uint16_t get_port(const uint8_t* at) {
  uint16_t net = 0;
  std::memcpy(&net, at, sizeof net);
  return ntohs(net);
}

struct SetElemDeleter {
  void operator()(nftnl_set_elem* e) const { nftnl_set_elem_free(e); }
};
using SetElemPtr = std::unique_ptr<nftnl_set_elem, SetElemDeleter>;

SetPtr set_named(std::string_view table, PortMap map) {
  SetPtr s(nftnl_set_alloc());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, std::string(table).c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, std::string(map_name(map)).c_str());
  return s;
}

SetElemPtr elem_object(const PortElement& element, bool keys_only) {
  SetElemPtr e(nftnl_set_elem_alloc());
  nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY, element.key.data(), element.key.size());
  if (keys_only) return e;
  nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_DATA, element.data.data(), element.data.size());
  if (element.container_id) {
    const std::vector<uint8_t> udata =
        comment_userdata(container_tag(*element.container_id), NFTNL_UDATA_SET_ELEM_COMMENT);
    nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_USERDATA, udata.data(), udata.size());
  }
  return e;
}

std::vector<uint8_t> attribute_bytes(nftnl_set_elem* e, uint16_t attr) {
  if (!nftnl_set_elem_is_set(e, attr)) return {};
  uint32_t len = 0;
  const auto* data = static_cast<const uint8_t*>(nftnl_set_elem_get(e, attr, &len));
  return data == nullptr ? std::vector<uint8_t>{} : std::vector<uint8_t>(data, data + len);
}

}  // namespace

std::string_view map_name(PortMap map) {
  switch (map) {
    case PortMap::kPorts4Addr: return "ports4addr";
    case PortMap::kPorts4: return "ports4";
    case PortMap::kPorts6Addr: return "ports6addr";
    case PortMap::kPorts6: return "ports6";
  }
  return "?";
}

networking::Family family_of(PortMap map) {
  return map == PortMap::kPorts4Addr || map == PortMap::kPorts4 ? networking::Family::kIpv4 : networking::Family::kIpv6;
}

bool keyed_by_address(PortMap map) { return map == PortMap::kPorts4Addr || map == PortMap::kPorts6Addr; }

PortMap map_of(const PortMapping& mapping) {
  if (mapping.container_ip.is_v4()) return mapping.host_ip ? PortMap::kPorts4Addr : PortMap::kPorts4;
  return mapping.host_ip ? PortMap::kPorts6Addr : PortMap::kPorts6;
}

SetPtr map_object(std::string_view table, PortMap map) {
  SetPtr s = set_named(table, map);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, NFT_SET_MAP);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, key_type(map));
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, static_cast<uint32_t>(key_size(map)));
  nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, concat(address_type(map), kInetServiceType));
  nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, static_cast<uint32_t>(data_size(map)));
  // The kernel wants an id for a set created in a batch; unique within the batch is enough.
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, static_cast<uint32_t>(map) + 1);
  return s;
}

PortElement port_element(std::string_view container_id, const PortMapping& m) {
  PortElement e;
  e.map = map_of(m);
  e.container_id = std::string(container_id);
  e.key.assign(key_size(e.map), 0);
  uint8_t* at = e.key.data();
  if (m.host_ip) {
    std::memcpy(at, m.host_ip->data(), m.host_ip->size());
    at += m.host_ip->size();
  }
  *at = m.protocol == Protocol::kTcp ? IPPROTO_TCP : IPPROTO_UDP;
  put_port(at + kRegister, m.host_port);
  e.data.assign(data_size(e.map), 0);
  std::memcpy(e.data.data(), m.container_ip.data(), m.container_ip.size());
  put_port(e.data.data() + m.container_ip.size(), m.container_port);
  return e;
}

std::optional<PortMapping> mapping_of(const PortElement& e) {
  if (e.key.size() != key_size(e.map) || e.data.size() != data_size(e.map)) return std::nullopt;
  const networking::Family family = family_of(e.map);
  const size_t address = address_size(e.map);
  PortMapping m;
  const uint8_t* at = e.key.data();
  if (keyed_by_address(e.map)) {
    m.host_ip = networking::IpAddress::from_bytes(family, at, address).value();
    at += address;
  }
  if (*at == IPPROTO_TCP) {
    m.protocol = Protocol::kTcp;
  } else if (*at == IPPROTO_UDP) {
    m.protocol = Protocol::kUdp;
  } else {
    return std::nullopt;
  }
  m.host_port = get_port(at + kRegister);
  m.container_ip = networking::IpAddress::from_bytes(family, e.data.data(), address).value();
  m.container_port = get_port(e.data.data() + address);
  if (m.host_port == 0 || m.container_port == 0) return std::nullopt;
  return m;
}

std::string describe(const PortElement& e) {
  return "map " + std::string(map_name(e.map)) + " key 0x" + hex_encode(e.key) + " data 0x" + hex_encode(e.data);
}

std::vector<SetPtr> element_messages(std::string_view table, PortMap map, const std::vector<PortElement>& elements,
                                     bool keys_only) {
  std::vector<SetPtr> out;
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i % kElementsPerMessage == 0) out.push_back(set_named(table, map));
    nftnl_set_elem_add(out.back().get(), elem_object(elements[i], keys_only).release());  // the set owns it
  }
  return out;
}

std::vector<PortElement> elements_of(PortMap map, nftnl_set* set) {
  struct Reading {
    PortMap map;
    std::vector<PortElement> out;
  } reading{map, {}};
  auto on_elem = [](nftnl_set_elem* e, void* data) -> int {
    auto* r = static_cast<Reading*>(data);
    PortElement element{r->map, attribute_bytes(e, NFTNL_SET_ELEM_KEY), attribute_bytes(e, NFTNL_SET_ELEM_DATA),
                        std::nullopt};
    const std::vector<uint8_t> udata = attribute_bytes(e, NFTNL_SET_ELEM_USERDATA);
    const auto comment =
        userdata_comment(udata.data(), static_cast<uint32_t>(udata.size()), NFTNL_UDATA_SET_ELEM_COMMENT);
    if (comment) element.container_id = tagged_id(*comment);
    r->out.push_back(std::move(element));
    return 0;
  };
  nftnl_set_elem_foreach(set, on_elem, &reading);
  return std::move(reading.out);
}

}  // namespace berth::nft
