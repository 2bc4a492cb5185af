#include "networking/netlink/routes.h"

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

std::string describe(const IpPrefix& destination, const std::optional<IpAddress>& gateway, std::string_view link) {
  std::string s = destination.length() == 0 ? "default route" : "route to " + destination.network().to_string();
  if (gateway) s += " via " + gateway->to_string();
  if (!link.empty()) s += " dev " + std::string(link);
  return s;
}

rtmsg* put_route_header(Message& msg, const IpPrefix& destination) {
  auto* rtm = msg.put_header<rtmsg>();
  rtm->rtm_family = static_cast<uint8_t>(address_family(destination.family()));
  rtm->rtm_dst_len = static_cast<uint8_t>(destination.length());
  rtm->rtm_table = RT_TABLE_MAIN;
  if (destination.length() > 0) {
    const IpAddress network = destination.network().address();
    mnl_attr_put(msg.get(), RTA_DST, network.size(), network.data());
  }
  return rtm;
}

Result<std::optional<Route>> parse_route(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(rtmsg)) {
    return Error(EBADMSG, "malformed route message");
  }
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  const auto attrs = detail::parse_attributes<RTA_MAX + 1>(nlh, sizeof(rtmsg));
  const uint32_t table = attr_u32(attrs[RTA_TABLE]).value_or(rtm->rtm_table);
  if (table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST) return std::optional<Route>{};
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return std::optional<Route>{};
  const Family family = rtm->rtm_family == AF_INET ? Family::kIpv4 : Family::kIpv6;
  IpAddress destination = IpAddress::unspecified(family);
  if (attrs[RTA_DST] != nullptr) {
    BERTH_ASSIGN(destination, IpAddress::from_bytes(family, mnl_attr_get_payload(attrs[RTA_DST]),
                                                    mnl_attr_get_payload_len(attrs[RTA_DST])));
  }
  Route route;
  BERTH_ASSIGN(route.destination, IpPrefix::make(destination, rtm->rtm_dst_len));
  if (attrs[RTA_GATEWAY] != nullptr) {
    BERTH_ASSIGN(route.gateway, IpAddress::from_bytes(family, mnl_attr_get_payload(attrs[RTA_GATEWAY]),
                                                      mnl_attr_get_payload_len(attrs[RTA_GATEWAY])));
  }
  route.link_index = static_cast<int>(attr_u32(attrs[RTA_OIF]).value_or(0));
  return std::optional<Route>(route);
}

}  // namespace

Status add_route(RtnlSocket& nl, const IpPrefix& destination, const std::optional<IpAddress>& gateway,
                 std::string_view link) {
  const std::string what = "add " + describe(destination, gateway, link) + nl.where();
  if (!gateway && link.empty()) return Error(EINVAL, what + ": needs a gateway or a link");
  if (gateway && gateway->family() != destination.family()) {
    return Error(EINVAL, what + ": the gateway is not of the destination's family");
  }
  int link_index = 0;
  if (!link.empty()) {
    auto found = find_link(nl, link);
    if (!found) return std::move(found).error().context(what);
    link_index = found->index;
  }
  Message msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg* rtm = put_route_header(msg, destination);
  rtm->rtm_protocol = RTPROT_BOOT;  // what `ip route add` marks static routes with
  rtm->rtm_scope = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  if (gateway) mnl_attr_put(msg.get(), RTA_GATEWAY, gateway->size(), gateway->data());
  if (link_index != 0) mnl_attr_put_u32(msg.get(), RTA_OIF, static_cast<uint32_t>(link_index));
  return nl.request(msg.get()).context(what);
}

Status add_default_route(RtnlSocket& nl, const IpAddress& gateway, std::string_view link) {
  // Length 0 fits either family: cannot fail.
  return add_route(nl, IpPrefix::make(IpAddress::unspecified(gateway.family()), 0).value(), gateway, link);
}

Status delete_route(RtnlSocket& nl, const IpPrefix& destination) {
  const std::string what = "delete " + describe(destination, std::nullopt, {}) + nl.where();
  Message msg(RTM_DELROUTE);
  rtmsg* rtm = put_route_header(msg, destination);
  rtm->rtm_scope = RT_SCOPE_NOWHERE;  // any scope
  return nl.request(msg.get()).context(what);
}

Result<std::vector<Route>> list_routes(RtnlSocket& nl, Family family) {
  Message msg(RTM_GETROUTE);
  msg.put_header<rtmsg>()->rtm_family = static_cast<uint8_t>(address_family(family));
  std::vector<Route> routes;
  Status dumped = nl.dump(msg.get(), [&](const nlmsghdr* nlh) -> Status {
    BERTH_ASSIGN(auto route, parse_route(nlh));
    if (route) routes.push_back(*route);
    return ok();
  });
  if (!dumped)
    return std::move(dumped).error().context("list " + std::string(family_name(family)) + " routes" + nl.where());
  return routes;
}

}  // namespace berth::networking
