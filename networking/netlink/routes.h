// Routes in a namespace's main table over rtnetlink, IPv4 and IPv6: a default route via a
// gateway, routes to a prefix, and the table's unicast routes. Errors name the operation, the
// route and the namespace: "add default route via 10.0.0.1 in netns berth-t1: Network is
// unreachable".
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/netlink/rtnl_socket.h"

namespace berth::networking {

struct Route {
  IpPrefix destination;              // 0.0.0.0/0 or ::/0 for a default route
  std::optional<IpAddress> gateway;  // none for a directly connected prefix
  int link_index = 0;                // the outgoing link; 0 when the kernel gave none
  friend bool operator==(const Route&, const Route&) = default;
};

// A route to `destination` (its host bits are ignored) via `gateway` and/or out of `link`
// (either may be empty, not both). "File exists" when one to the same destination exists.
Status add_route(RtnlSocket& nl, const IpPrefix& destination, const std::optional<IpAddress>& gateway,
                 std::string_view link = {});
// The default route of the gateway's family via `gateway` (out of `link` when given).
Status add_default_route(RtnlSocket& nl, const IpAddress& gateway, std::string_view link = {});
// Deletes the route to `destination` (any gateway, any link).
Status delete_route(RtnlSocket& nl, const IpPrefix& destination);
// The unicast routes of the main table of `family`.
Result<std::vector<Route>> list_routes(RtnlSocket& nl, Family family);

}  // namespace berth::networking
