#include "networking/nft/rule_builder.h"

#include <arpa/inet.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <utility>

namespace berth::nft {
namespace {

// Header offsets of the addresses: struct iphdr and struct ipv6hdr.
constexpr uint32_t kIpv4Saddr = 12;
constexpr uint32_t kIpv4Daddr = 16;
constexpr uint32_t kIpv6Saddr = 8;
constexpr uint32_t kIpv6Daddr = 24;
// The destination port of TCP and UDP headers.
constexpr uint32_t kDportOffset = 2;

uint8_t nfproto_of(networking::Family family) {
  return family == networking::Family::kIpv4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
}
uint8_t ipproto_of(Protocol p) { return p == Protocol::kTcp ? IPPROTO_TCP : IPPROTO_UDP; }

// Builds one rule expression by expression.
class RuleWriter {
 public:
  RuleWriter(std::string_view table, std::string_view chain) : rule_(nftnl_rule_alloc()) {
    nftnl_rule_set_u32(rule_.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
    nftnl_rule_set_str(rule_.get(), NFTNL_RULE_TABLE, std::string(table).c_str());
    nftnl_rule_set_str(rule_.get(), NFTNL_RULE_CHAIN, std::string(chain).c_str());
  }

  RuleWriter& meta(uint32_t key, uint32_t dreg = NFT_REG_1) {
    auto* e = add("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
    return *this;
  }
  RuleWriter& payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg = NFT_REG_1) {
    auto* e = add("payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
    return *this;
  }
  // Looks the key in `sreg`.. up in the map and writes the data found to `dreg`..; a miss
  // ends the rule.
  RuleWriter& lookup(std::string_view map, uint32_t sreg, uint32_t dreg) {
    auto* e = add("lookup");
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, std::string(map).c_str());
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
    return *this;
  }
  RuleWriter& cmp(uint32_t op, const void* data, uint32_t len) {
    auto* e = add("cmp");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
    return *this;
  }
  RuleWriter& cmp_u8(uint8_t v) { return cmp(NFT_CMP_EQ, &v, sizeof v); }
  // reg1 = reg1 & mask (xor 0).
  RuleWriter& bitwise(const void* mask, uint32_t len) {
    auto* e = add("bitwise");
    const std::array<uint8_t, 16> zero{};
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero.data(), len);
    return *this;
  }
  RuleWriter& immediate(uint32_t reg, const void* data, uint32_t len) {
    auto* e = add("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
    return *this;
  }
  RuleWriter& jump(std::string_view chain) {
    auto* e = add("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(NFT_JUMP));
    nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, std::string(chain).c_str());
    return *this;
  }
  // `fib daddr type local`.
  RuleWriter& daddr_is_local() {
    auto* e = add("fib");
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
    nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
    const uint32_t local = RTN_LOCAL;
    return cmp(NFT_CMP_EQ, &local, sizeof local);
  }
  // `ct status dnat`: the connection's destination was translated.
  RuleWriter& ct_was_dnated() {
    auto* e = add("ct");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
    const uint32_t mask = IPS_DST_NAT;
    const uint32_t zero = 0;
    bitwise(&mask, sizeof mask);
    return cmp(NFT_CMP_NEQ, &zero, sizeof zero);
  }
  // `ip saddr <subnet>` (op eq) or `ip daddr != <subnet>` (op neq) and their IPv6 forms.
  RuleWriter& address_in(bool source, const networking::Subnet& subnet, uint32_t op) {
    const bool v4 = subnet.family() == networking::Family::kIpv4;
    const uint32_t len = v4 ? 4 : 16;
    const uint32_t offset = source ? (v4 ? kIpv4Saddr : kIpv6Saddr) : (v4 ? kIpv4Daddr : kIpv6Daddr);
    payload(NFT_PAYLOAD_NETWORK_HEADER, offset, len);
    const auto mask = subnet.mask();
    bitwise(mask.data(), len);
    return cmp(op, subnet.network().data(), len);
  }
  RuleWriter& nfproto(networking::Family family) { return meta(NFT_META_NFPROTO).cmp_u8(nfproto_of(family)); }
  RuleWriter& masquerade() {
    add("masq");
    return *this;
  }
  // `dnat to` the address in `address_reg` and the port in `port_reg`.
  RuleWriter& dnat(uint8_t family, uint32_t address_reg, uint32_t port_reg) {
    auto* e = add("nat");
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, family);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, address_reg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, port_reg);
    return *this;
  }
  RuleWriter& comment(std::string_view text) {
    const std::vector<uint8_t> udata = comment_userdata(text, NFTNL_UDATA_RULE_COMMENT);
    nftnl_rule_set_data(rule_.get(), NFTNL_RULE_USERDATA, udata.data(), static_cast<uint32_t>(udata.size()));
    return *this;
  }
  RulePtr done() { return std::move(rule_); }

 private:
  nftnl_expr* add(const char* name) {
    nftnl_expr* e = nftnl_expr_alloc(name);
    nftnl_rule_add_expr(rule_.get(), e);  // the rule owns it now
    return e;
  }

  RulePtr rule_;
};

}  // namespace

RulePtr map_lookup_rule(std::string_view table, PortMap map) {
  // Concatenated fields take whole 4-byte registers from NFT_REG32_00 (port_maps.h); the
  // data found overwrites the key: the container address, then its port.
  const networking::Family family = family_of(map);
  const bool v4 = family == networking::Family::kIpv4;
  const uint32_t address_registers = v4 ? 1 : 4;
  uint32_t next = NFT_REG32_00;
  RuleWriter w(table, kPortsChain);
  w.nfproto(family);
  if (keyed_by_address(map)) {
    w.payload(NFT_PAYLOAD_NETWORK_HEADER, v4 ? kIpv4Daddr : kIpv6Daddr, address_registers * 4, next);
    next += address_registers;
  }
  w.meta(NFT_META_L4PROTO, next).payload(NFT_PAYLOAD_TRANSPORT_HEADER, kDportOffset, 2, next + 1);
  return w.lookup(map_name(map), NFT_REG32_00, NFT_REG32_00)
      .dnat(nfproto_of(family), NFT_REG32_00, NFT_REG32_00 + address_registers)
      .done();
}

RulePtr legacy_dnat_rule(std::string_view table, std::string_view container_id, const PortMapping& m) {
  RuleWriter w(table, kPortsChain);
  const bool v4 = m.container_ip.is_v4();
  const auto len = static_cast<uint32_t>(m.container_ip.size());
  w.nfproto(m.container_ip.family()).meta(NFT_META_L4PROTO).cmp_u8(ipproto_of(m.protocol));
  if (m.host_ip) {
    w.payload(NFT_PAYLOAD_NETWORK_HEADER, v4 ? kIpv4Daddr : kIpv6Daddr, len).cmp(NFT_CMP_EQ, m.host_ip->data(), len);
  }
  const uint16_t host_port = htons(m.host_port);
  const uint16_t container_port = htons(m.container_port);
  w.payload(NFT_PAYLOAD_TRANSPORT_HEADER, kDportOffset, sizeof host_port)
      .cmp(NFT_CMP_EQ, &host_port, sizeof host_port)
      .immediate(NFT_REG_1, m.container_ip.data(), len)
      .immediate(NFT_REG_2, &container_port, sizeof container_port)
      .dnat(nfproto_of(m.container_ip.family()), NFT_REG_1, NFT_REG_2);
  return w.comment(container_tag(container_id)).done();
}

RulePtr jump_to_ports_rule(std::string_view table, std::string_view chain) {
  return RuleWriter(table, chain).daddr_is_local().jump(kPortsChain).done();
}

std::vector<RulePtr> masquerade_rules(std::string_view table, const std::vector<networking::Subnet>& subnets) {
  std::vector<RulePtr> rules;
  for (const networking::Subnet& s : subnets) {
    // Egress: from the subnet to anywhere else.
    rules.push_back(RuleWriter(table, kPostroutingChain)
                        .nfproto(s.family())
                        .address_in(true, s, NFT_CMP_EQ)
                        .address_in(false, s, NFT_CMP_NEQ)
                        .masquerade()
                        .done());
    // Hairpin: a container reaching a published port that leads back into the subnet would
    // otherwise get replies straight from the peer, bypassing the reverse translation.
    rules.push_back(RuleWriter(table, kPostroutingChain)
                        .nfproto(s.family())
                        .address_in(true, s, NFT_CMP_EQ)
                        .ct_was_dnated()
                        .masquerade()
                        .done());
  }
  // The host's own 127.0.0.1 → published port: the container cannot answer 127.0.0.1.
  auto loopback = networking::Subnet::parse("127.0.0.0/8").value();
  rules.push_back(RuleWriter(table, kPostroutingChain)
                      .nfproto(networking::Family::kIpv4)
                      .address_in(true, loopback, NFT_CMP_EQ)
                      .ct_was_dnated()
                      .masquerade()
                      .done());
  return rules;
}

std::optional<std::string> tagged_container(const nftnl_rule* rule) {
  if (!nftnl_rule_is_set(rule, NFTNL_RULE_USERDATA)) return std::nullopt;
  uint32_t len = 0;
  const void* data = nftnl_rule_get_data(rule, NFTNL_RULE_USERDATA, &len);
  const std::optional<std::string> comment = userdata_comment(data, len, NFTNL_UDATA_RULE_COMMENT);
  return comment ? tagged_id(*comment) : std::nullopt;
}

namespace {

// Reads back the expressions legacy_dnat_rule() writes, in its order; anything else is not a mapping.
class MappingReader {
 public:
  bool read(const nftnl_expr* e) {
    const std::string_view name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
    if (name == "meta") return read_meta(nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY));
    if (name == "payload") return read_payload(e);
    if (name == "cmp") return read_cmp(e);
    if (name == "immediate") return read_immediate(e);
    if (name == "nat") {
      dnat_ = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE) == NFT_NAT_DNAT;
      return dnat_;
    }
    return false;
  }

  [[nodiscard]] std::optional<PortMapping> mapping() const {
    if (!dnat_ || !family_ || !protocol_ || !container_ip_ || mapping_.host_port == 0) return std::nullopt;
    if (mapping_.container_port == 0 || container_ip_->family() != *family_) return std::nullopt;
    if (mapping_.host_ip && mapping_.host_ip->family() != *family_) return std::nullopt;
    PortMapping m = mapping_;
    m.protocol = *protocol_;
    m.container_ip = *container_ip_;
    return m;
  }

 private:
  enum class Loaded : uint8_t { kNothing, kNfproto, kL4proto, kDaddr, kDport };

  bool read_meta(uint32_t key) {
    if (key == NFT_META_NFPROTO)
      loaded_ = Loaded::kNfproto;
    else if (key == NFT_META_L4PROTO)
      loaded_ = Loaded::kL4proto;
    else
      return false;
    return true;
  }
  bool read_payload(const nftnl_expr* e) {
    const uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
    const uint32_t offset = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
    if (base == NFT_PAYLOAD_TRANSPORT_HEADER && offset == kDportOffset) {
      loaded_ = Loaded::kDport;
      return true;
    }
    if (base == NFT_PAYLOAD_NETWORK_HEADER && (offset == kIpv4Daddr || offset == kIpv6Daddr)) {
      loaded_ = Loaded::kDaddr;
      return true;
    }
    return false;
  }
  static std::optional<networking::IpAddress> address_of(const void* data, uint32_t len) {
    if (len != 4 && len != 16) return std::nullopt;
    const auto family = len == 4 ? networking::Family::kIpv4 : networking::Family::kIpv6;
    return networking::IpAddress::from_bytes(family, data, len).value();
  }
  static std::optional<uint16_t> port_of(const void* data, uint32_t len) {
    if (len != 2) return std::nullopt;
    uint16_t port = 0;
    std::memcpy(&port, data, 2);
    return ntohs(port);
  }
  bool read_cmp(const nftnl_expr* e) {
    if (nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) != NFT_CMP_EQ) return false;
    uint32_t len = 0;
    const auto* data = static_cast<const uint8_t*>(nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len));
    const Loaded what = std::exchange(loaded_, Loaded::kNothing);
    if (data == nullptr || len == 0) return false;
    switch (what) {
      case Loaded::kNfproto:
        if (data[0] == NFPROTO_IPV4)
          family_ = networking::Family::kIpv4;
        else if (data[0] == NFPROTO_IPV6)
          family_ = networking::Family::kIpv6;
        return family_.has_value();
      case Loaded::kL4proto:
        if (data[0] == IPPROTO_TCP)
          protocol_ = Protocol::kTcp;
        else if (data[0] == IPPROTO_UDP)
          protocol_ = Protocol::kUdp;
        return protocol_.has_value();
      case Loaded::kDaddr: mapping_.host_ip = address_of(data, len); return mapping_.host_ip.has_value();
      case Loaded::kDport: {
        auto port = port_of(data, len);
        if (port) mapping_.host_port = *port;
        return port.has_value();
      }
      case Loaded::kNothing: return false;
    }
    return false;
  }
  bool read_immediate(const nftnl_expr* e) {
    uint32_t len = 0;
    const void* data = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);
    if (data == nullptr) return false;
    const uint32_t reg = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG);
    if (reg == NFT_REG_1) {
      container_ip_ = address_of(data, len);
      return container_ip_.has_value();
    }
    if (reg == NFT_REG_2) {
      auto port = port_of(data, len);
      if (port) mapping_.container_port = *port;
      return port.has_value();
    }
    return false;
  }

  Loaded loaded_ = Loaded::kNothing;
  std::optional<networking::Family> family_;
  std::optional<Protocol> protocol_;
  std::optional<networking::IpAddress> container_ip_;
  PortMapping mapping_;
  bool dnat_ = false;
};

}  // namespace

std::optional<PortMapping> mapping_of(const nftnl_rule* rule) {
  std::unique_ptr<nftnl_expr_iter, void (*)(nftnl_expr_iter*)> iter(nftnl_expr_iter_create(rule),
                                                                    nftnl_expr_iter_destroy);
  if (!iter) return std::nullopt;
  MappingReader reader;
  for (nftnl_expr* e = nftnl_expr_iter_next(iter.get()); e != nullptr; e = nftnl_expr_iter_next(iter.get())) {
    if (!reader.read(e)) return std::nullopt;
  }
  return reader.mapping();
}

std::string describe(const nftnl_rule* rule) {
  std::array<char, 4096> buf{};
  nftnl_rule_snprintf(buf.data(), buf.size(), rule, NFTNL_OUTPUT_DEFAULT, 0);
  return buf.data();
}

}  // namespace berth::nft
