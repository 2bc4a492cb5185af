#include "networking/netlink/addresses.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "networking/netlink/links.h"
#include "networking/netlink/message.h"

namespace berth::networking {
namespace {

using detail::attr_u32;
using detail::Message;

Result<LinkAddress> parse_address(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(ifaddrmsg)) {
    return Error(EBADMSG, "malformed address message");
  }
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  const auto attrs = detail::parse_attributes<IFA_MAX + 1>(nlh, sizeof(ifaddrmsg));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return Error(EAFNOSUPPORT, "not an IP address");
  const Family family = ifa->ifa_family == AF_INET ? Family::kIpv4 : Family::kIpv6;
  // IFA_LOCAL is this end's address; IFA_ADDRESS is the peer's on point-to-point links.
  const nlattr* attr = attrs[IFA_LOCAL] != nullptr ? attrs[IFA_LOCAL] : attrs[IFA_ADDRESS];
  if (attr == nullptr) return Error(EBADMSG, "address message without an address");
  BERTH_ASSIGN(IpAddress ip, IpAddress::from_bytes(family, mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr)));
  BERTH_ASSIGN(IpPrefix prefix, IpPrefix::make(ip, ifa->ifa_prefixlen));
  const uint32_t flags = attr_u32(attrs[IFA_FLAGS]).value_or(ifa->ifa_flags);
  LinkAddress out;
  out.link_index = static_cast<int>(ifa->ifa_index);
  out.prefix = prefix;
  out.tentative = (flags & IFA_F_TENTATIVE) != 0;
  out.permanent = (flags & IFA_F_PERMANENT) != 0;
  return out;
}

Status change_address(RtnlSocket& nl, uint16_t type, std::string_view link, const IpPrefix& address,
                      AddressOptions options, const std::string& what) {
  auto found = find_link(nl, link);
  if (!found) return std::move(found).error().context(what);
  Message msg(type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
  auto* ifa = msg.put_header<ifaddrmsg>();
  ifa->ifa_family = static_cast<uint8_t>(address_family(address.family()));
  ifa->ifa_prefixlen = static_cast<uint8_t>(address.length());
  ifa->ifa_index = static_cast<uint32_t>(found->index);
  const IpAddress& ip = address.address();
  mnl_attr_put(msg.get(), IFA_LOCAL, ip.size(), ip.data());
  mnl_attr_put(msg.get(), IFA_ADDRESS, ip.size(), ip.data());
  if (options.no_dad && address.family() == Family::kIpv6) {
    ifa->ifa_flags = IFA_F_NODAD;
    mnl_attr_put_u32(msg.get(), IFA_FLAGS, IFA_F_NODAD);
  }
  return nl.request(msg.get()).context(what);
}

Result<std::vector<LinkAddress>> dump_addresses(RtnlSocket& nl, int link_index) {
  Message msg(RTM_GETADDR);
  msg.put_header<ifaddrmsg>()->ifa_family = AF_UNSPEC;
  std::vector<LinkAddress> out;
  BERTH_TRY(nl.dump(msg.get(), [&](const nlmsghdr* nlh) -> Status {
    BERTH_ASSIGN(LinkAddress a, parse_address(nlh));
    if (link_index == 0 || a.link_index == link_index) out.push_back(a);
    return ok();
  }));
  return out;
}

}  // namespace

Status add_address(RtnlSocket& nl, std::string_view link, const IpPrefix& address, AddressOptions options) {
  const std::string what = "add address " + address.to_string() + " to " + std::string(link) + nl.where();
  return change_address(nl, RTM_NEWADDR, link, address, options, what);
}

Status delete_address(RtnlSocket& nl, std::string_view link, const IpPrefix& address) {
  const std::string what = "delete address " + address.to_string() + " from " + std::string(link) + nl.where();
  return change_address(nl, RTM_DELADDR, link, address, {}, what);
}

Result<std::vector<LinkAddress>> list_addresses(RtnlSocket& nl, std::string_view link) {
  const std::string what = "list addresses of " + std::string(link) + nl.where();
  auto found = find_link(nl, link);
  if (!found) return std::move(found).error().context(what);
  return dump_addresses(nl, found->index).context(what);
}

Result<std::vector<LinkAddress>> list_all_addresses(RtnlSocket& nl) {
  return dump_addresses(nl, 0).context("list addresses" + nl.where());
}

}  // namespace berth::networking
