// Network links (interfaces) over rtnetlink: find and list them, bring them up or down, set
// their MTU and bridge, move them to another namespace, delete them; create bridges and veth
// pairs (the peer made directly inside a target namespace under its final name). Errors name
// the operation, the link and the namespace: "create veth berth-v1 <-> eth0 in netns
// berth-t1: File exists". Never shells out to ip(8).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "networking/netlink/rtnl_socket.h"
#include "networking/netns/netns.h"

namespace berth::networking {

// The longest interface name the kernel takes (IFNAMSIZ - 1).
constexpr size_t kMaxLinkNameLength = 15;

struct Link {
  int index = 0;
  std::string name;
  std::string kind;  // "bridge", "veth", ...; empty for devices without one (lo, most NICs)
  uint32_t mtu = 0;
  bool up = false;        // administratively up (IFF_UP)
  bool lower_up = false;  // carrier (IFF_LOWER_UP): a veth whose peer is up, a bridge with a port
  int master = 0;         // the index of the bridge it is a port of; 0 when none
  std::string mac;        // "02:42:ac:11:00:02"; empty for devices without one
  std::string alias;      // IFLA_IFALIAS: a note its owner left on it; empty when none
};

// `prefix` and 8 hex digits of a hash of `key`: a stable link name per container id
// ("berthv1a2b3c4d"). Keep `prefix` at most 7 characters so that it fits.
std::string hashed_link_name(std::string_view prefix, std::string_view key);

// Why `name` cannot name a link (empty, longer than 15, '/', ':', whitespace, "." or "..").
Status check_link_name(std::string_view name);

Result<Link> find_link(RtnlSocket& nl, std::string_view name);
Result<Link> find_link(RtnlSocket& nl, int index);
Result<std::vector<Link>> list_links(RtnlSocket& nl);

struct LinkUpSetup {
  // false: the kernel gives the link no IPv6 link-local address (address generation mode
  // "none"), so it sends no duplicate address detection, router solicitations or MLD reports
  // of its own. On a bridge with multicast snooping off each of those is flooded to every
  // port and handled in every container's namespace: a cost per container, paid again by
  // each one that joins. Addresses added by hand still work.
  bool ipv6_link_local = true;
};
Status set_link_up(RtnlSocket& nl, std::string_view name, const LinkUpSetup& setup = {});
Status set_link_down(RtnlSocket& nl, std::string_view name);
Status set_link_mtu(RtnlSocket& nl, std::string_view name, uint32_t mtu);
// Sets the hardware address of `name`; `mac` as Link::mac writes it ("02:42:ac:11:00:02").
Status set_link_mac(RtnlSocket& nl, std::string_view name, std::string_view mac);
// Sets the alias of `name` (at most 255 bytes): who made the link and for what.
Status set_link_alias(RtnlSocket& nl, std::string_view name, std::string_view alias);
// Makes `name` a port of the bridge `master`.
Status set_link_master(RtnlSocket& nl, std::string_view name, std::string_view master);
// Takes `name` out of its bridge (a no-op when it has none).
Status clear_link_master(RtnlSocket& nl, std::string_view name);
// Moves `name` into `target`, renamed `new_name` there when that is not empty. The link
// leaves this socket's namespace: reach it afterwards through a socket opened in `target`.
Status move_link_to_netns(RtnlSocket& nl, std::string_view name, const Netns& target, std::string_view new_name = {});
// Deletes `name` (a veth's peer goes with it). "No such device" when it does not exist.
Status delete_link(RtnlSocket& nl, std::string_view name);
// Deletes `name` if it exists: for clean-up paths.
Status remove_link(RtnlSocket& nl, std::string_view name);

struct BridgeSetup {
  // IGMP/MLD snooping: on by default in the kernel. Off, multicast floods to every port, as
  // on a hub; on, every port's reports and queries are tracked and timed per port.
  bool multicast_snooping = true;
};

// A new bridge, down, without ports.
Status create_bridge(RtnlSocket& nl, std::string_view name, const BridgeSetup& setup = {});

// What a new veth pair starts with, set in the request that creates it: each later change is
// one more round trip and one more hold of the kernel's RTNL lock, which every container's
// setup on the host contends for.
struct VethSetup {
  uint32_t mtu = 0;  // both ends; 0: the kernel's default
  int master = 0;    // the index of the bridge the host end is a port of; 0: none
  bool up = false;   // the host end administratively up (the peer stays down)
};

// A new veth pair: `name` in this socket's namespace and `peer_name` in `peer_netns` (or
// beside it when null), both down unless `setup` says otherwise. The peer is created in place,
// so a name like "eth0" never clashes with the host's.
Status create_veth(RtnlSocket& nl, std::string_view name, std::string_view peer_name, const Netns* peer_netns = nullptr,
                   const VethSetup& setup = {});

}  // namespace berth::networking
