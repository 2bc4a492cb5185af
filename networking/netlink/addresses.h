// IPv4 and IPv6 addresses on links over rtnetlink: add, delete, list. Errors name the
// operation, address, link and namespace: "add address 10.0.0.2/24 to eth0 in netns
// berth-t1: File exists".
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/netlink/rtnl_socket.h"

namespace berth::networking {

struct AddressOptions {
  // IPv6 only: skip duplicate address detection, so the address is usable at once rather
  // than tentative for a second or more (IFA_F_NODAD). For addresses berth hands out itself.
  bool no_dad = false;
};

struct LinkAddress {
  int link_index = 0;
  IpPrefix prefix;         // the address with its prefix length: 10.0.0.2/24
  bool tentative = false;  // IPv6 DAD not finished yet: not usable as a source
  bool permanent = false;  // configured, not autoconfigured (IFA_F_PERMANENT)
};

Status add_address(RtnlSocket& nl, std::string_view link, const IpPrefix& address, AddressOptions options = {});
Status delete_address(RtnlSocket& nl, std::string_view link, const IpPrefix& address);
// The addresses on `link`, IPv4 and IPv6 (link-local ones included), in the kernel's order.
Result<std::vector<LinkAddress>> list_addresses(RtnlSocket& nl, std::string_view link);
// The addresses on every link of the namespace.
Result<std::vector<LinkAddress>> list_all_addresses(RtnlSocket& nl);

}  // namespace berth::networking
