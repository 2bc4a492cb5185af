#include "networking/netlink/links.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <optional>

#include "networking/netlink/message.h"

namespace berth::networking {
namespace {

using detail::attr_string;
using detail::attr_u32;
using detail::Message;

std::string format_mac(const nlattr* attr) {
  if (attr == nullptr) return {};
  const auto* bytes = static_cast<const uint8_t*>(mnl_attr_get_payload(attr));
  std::string out;
  for (uint16_t i = 0; i < mnl_attr_get_payload_len(attr); ++i) {
    std::array<char, 4> hex{};
    std::snprintf(hex.data(), hex.size(), i == 0 ? "%02x" : ":%02x", bytes[i]);
    out += hex.data();
  }
  return out;
}

// The six bytes of "02:42:ac:11:00:02"; an error for anything else.
Result<std::array<uint8_t, 6>> parse_mac(std::string_view mac) {
  std::array<uint8_t, 6> bytes{};
  std::array<unsigned, 6> parts{};
  char tail = 0;
  const std::string text(mac);
  if (text.size() != 17 || std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &parts[0], &parts[1], &parts[2],
                                       &parts[3], &parts[4], &parts[5], &tail) != 6) {
    return Error(EINVAL, "\"" + text + "\" is not a MAC address (xx:xx:xx:xx:xx:xx)");
  }
  std::copy(parts.begin(), parts.end(), bytes.begin());
  return bytes;
}

Result<Link> parse_link(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) {
    return Error(EBADMSG, "malformed link message");
  }
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  const auto attrs = detail::parse_attributes<IFLA_MAX + 1>(nlh, sizeof(ifinfomsg));
  Link link;
  link.index = ifi->ifi_index;
  link.name = attr_string(attrs[IFLA_IFNAME]).value_or("");
  link.mtu = attr_u32(attrs[IFLA_MTU]).value_or(0);
  link.up = (ifi->ifi_flags & IFF_UP) != 0;
  link.lower_up = (ifi->ifi_flags & IFF_LOWER_UP) != 0;
  link.master = static_cast<int>(attr_u32(attrs[IFLA_MASTER]).value_or(0));
  link.mac = format_mac(attrs[IFLA_ADDRESS]);
  link.alias = attr_string(attrs[IFLA_IFALIAS]).value_or("");
  if (attrs[IFLA_LINKINFO] != nullptr) {
    const auto info = detail::parse_nested<IFLA_INFO_MAX + 1>(attrs[IFLA_LINKINFO]);
    link.kind = attr_string(info[IFLA_INFO_KIND]).value_or("");
  }
  return link;
}

// A RTM_GETLINK for one link, by name (index 0) or by index.
Result<Link> get_link(RtnlSocket& nl, std::string_view name, int index) {
  Message msg(RTM_GETLINK);
  auto* ifi = msg.put_header<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  if (index == 0) mnl_attr_put_strz(msg.get(), IFLA_IFNAME, std::string(name).c_str());
  mnl_attr_put_u32(msg.get(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::optional<Link> found;
  BERTH_TRY(nl.request(msg.get(), [&](const nlmsghdr* nlh) -> Status {
    BERTH_ASSIGN(found, parse_link(nlh));
    return ok();
  }));
  if (!found) return Error(EBADMSG, "no link in the kernel's answer");
  return std::move(*found);
}

// A RTM_SETLINK addressed by name, with what `fill` puts in it.
Status change_link(RtnlSocket& nl, std::string_view name, const std::string& what,
                   const std::function<void(Message&, ifinfomsg*)>& fill) {
  if (auto valid = check_link_name(name); !valid) return std::move(valid).error().context(what);
  Message msg(RTM_SETLINK);
  auto* ifi = msg.put_header<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(msg.get(), IFLA_IFNAME, std::string(name).c_str());
  fill(msg, ifi);
  return nl.request(msg.get()).context(what);
}

Status set_flags_up(RtnlSocket& nl, std::string_view name, bool up) {
  const std::string what = "set link " + std::string(name) + (up ? " up" : " down") + nl.where();
  return change_link(nl, name, what, [&](Message&, ifinfomsg* ifi) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
  });
}

}  // namespace

std::string hashed_link_name(std::string_view prefix, std::string_view key) {
  std::array<char, 9> hex{};
  std::snprintf(hex.data(), hex.size(), "%08x", static_cast<unsigned>(std::hash<std::string_view>{}(key)));
  return std::string(prefix) + hex.data();
}

Status check_link_name(std::string_view name) {
  const std::string quoted = "interface name \"" + std::string(name) + "\"";
  if (name.empty()) return Error(EINVAL, "empty interface name");
  if (name.size() > kMaxLinkNameLength) {
    return Error(EINVAL, quoted + ": longer than " + std::to_string(kMaxLinkNameLength) + " characters");
  }
  if (name == "." || name == "..") return Error(EINVAL, quoted + ": not allowed");
  const bool bad_char = std::any_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\0';
  });
  if (bad_char) return Error(EINVAL, quoted + ": contains '/', ':', whitespace or NUL");
  return ok();
}

Result<Link> find_link(RtnlSocket& nl, std::string_view name) {
  const std::string what = "find link " + std::string(name) + nl.where();
  if (auto valid = check_link_name(name); !valid) return std::move(valid).error().context(what);
  return get_link(nl, name, 0).context(what);
}

Result<Link> find_link(RtnlSocket& nl, int index) {
  const std::string what = "find link #" + std::to_string(index) + nl.where();
  if (index <= 0) return Error(EINVAL, what + ": not a link index");
  return get_link(nl, {}, index).context(what);
}

Result<std::vector<Link>> list_links(RtnlSocket& nl) {
  Message msg(RTM_GETLINK);
  msg.put_header<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_u32(msg.get(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::vector<Link> links;
  Status dumped = nl.dump(msg.get(), [&](const nlmsghdr* nlh) -> Status {
    BERTH_ASSIGN(Link link, parse_link(nlh));
    links.push_back(std::move(link));
    return ok();
  });
  if (!dumped) return std::move(dumped).error().context("list links" + nl.where());
  return links;
}

Status set_link_up(RtnlSocket& nl, std::string_view name, const LinkUpSetup& setup) {
  if (setup.ipv6_link_local) return set_flags_up(nl, name, true);
  const std::string what = "set link " + std::string(name) + " up without an IPv6 link-local address" + nl.where();
  // One request: the kernel applies the address generation mode before it brings the link
  // up, so no link-local address is ever made.
  return change_link(nl, name, what, [&](Message& msg, ifinfomsg* ifi) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = IFF_UP;
    nlattr* af = mnl_attr_nest_start(msg.get(), IFLA_AF_SPEC);
    nlattr* inet6 = mnl_attr_nest_start(msg.get(), AF_INET6);
    mnl_attr_put_u8(msg.get(), IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
    mnl_attr_nest_end(msg.get(), inet6);
    mnl_attr_nest_end(msg.get(), af);
  });
}

Status set_link_down(RtnlSocket& nl, std::string_view name) { return set_flags_up(nl, name, false); }

Status set_link_mtu(RtnlSocket& nl, std::string_view name, uint32_t mtu) {
  const std::string what = "set MTU of link " + std::string(name) + " to " + std::to_string(mtu) + nl.where();
  return change_link(nl, name, what, [&](Message& msg, ifinfomsg*) { mnl_attr_put_u32(msg.get(), IFLA_MTU, mtu); });
}

Status set_link_mac(RtnlSocket& nl, std::string_view name, std::string_view mac) {
  const std::string what = "set MAC address of link " + std::string(name) + " to " + std::string(mac) + nl.where();
  BERTH_ASSIGN(const auto bytes, parse_mac(mac).context(what));
  return change_link(nl, name, what, [&](Message& msg, ifinfomsg*) {
    mnl_attr_put(msg.get(), IFLA_ADDRESS, bytes.size(), bytes.data());
  });
}

Status set_link_alias(RtnlSocket& nl, std::string_view name, std::string_view alias) {
  const std::string what = "set alias of link " + std::string(name) + " to \"" + std::string(alias) + "\"" + nl.where();
  if (alias.size() > 255) return Error(EINVAL, what + ": longer than 255 bytes");
  return change_link(nl, name, what, [&](Message& msg, ifinfomsg*) {
    mnl_attr_put_strz(msg.get(), IFLA_IFALIAS, std::string(alias).c_str());
  });
}

Status set_link_master(RtnlSocket& nl, std::string_view name, std::string_view master) {
  const std::string what = "attach link " + std::string(name) + " to bridge " + std::string(master) + nl.where();
  auto bridge = find_link(nl, master);
  if (!bridge) return std::move(bridge).error().context(what);
  const auto index = static_cast<uint32_t>(bridge->index);
  return change_link(nl, name, what,
                     [&](Message& msg, ifinfomsg*) { mnl_attr_put_u32(msg.get(), IFLA_MASTER, index); });
}

Status clear_link_master(RtnlSocket& nl, std::string_view name) {
  const std::string what = "detach link " + std::string(name) + " from its bridge" + nl.where();
  return change_link(nl, name, what, [&](Message& msg, ifinfomsg*) { mnl_attr_put_u32(msg.get(), IFLA_MASTER, 0); });
}

Status move_link_to_netns(RtnlSocket& nl, std::string_view name, const Netns& target, std::string_view new_name) {
  std::string what = "move link " + std::string(name) + nl.where() + " to netns " + target.name();
  if (!new_name.empty()) what += " as " + std::string(new_name);
  if (new_name.empty()) {
    return change_link(nl, name, what, [&](Message& msg, ifinfomsg*) {
      mnl_attr_put_u32(msg.get(), IFLA_NET_NS_FD, static_cast<uint32_t>(target.fd()));
    });
  }
  // IFLA_IFNAME names the new name here: the link is addressed by index.
  if (auto valid = check_link_name(new_name); !valid) return std::move(valid).error().context(what);
  auto link = find_link(nl, name);
  if (!link) return std::move(link).error().context(what);
  Message msg(RTM_SETLINK);
  auto* ifi = msg.put_header<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = link->index;
  mnl_attr_put_strz(msg.get(), IFLA_IFNAME, std::string(new_name).c_str());
  mnl_attr_put_u32(msg.get(), IFLA_NET_NS_FD, static_cast<uint32_t>(target.fd()));
  return nl.request(msg.get()).context(what);
}

Status delete_link(RtnlSocket& nl, std::string_view name) {
  const std::string what = "delete link " + std::string(name) + nl.where();
  if (auto valid = check_link_name(name); !valid) return std::move(valid).error().context(what);
  Message msg(RTM_DELLINK);
  msg.put_header<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(msg.get(), IFLA_IFNAME, std::string(name).c_str());
  return nl.request(msg.get()).context(what);
}

Status remove_link(RtnlSocket& nl, std::string_view name) {
  Status deleted = delete_link(nl, name);
  if (!deleted && deleted.error().code() == ENODEV) return ok();
  return deleted;
}

Status create_bridge(RtnlSocket& nl, std::string_view name, const BridgeSetup& setup) {
  const std::string what = "create bridge " + std::string(name) + nl.where();
  if (auto valid = check_link_name(name); !valid) return std::move(valid).error().context(what);
  Message msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  msg.put_header<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(msg.get(), IFLA_IFNAME, std::string(name).c_str());
  nlattr* info = mnl_attr_nest_start(msg.get(), IFLA_LINKINFO);
  mnl_attr_put_strz(msg.get(), IFLA_INFO_KIND, "bridge");
  if (!setup.multicast_snooping) {
    nlattr* data = mnl_attr_nest_start(msg.get(), IFLA_INFO_DATA);
    mnl_attr_put_u8(msg.get(), IFLA_BR_MCAST_SNOOPING, 0);
    mnl_attr_nest_end(msg.get(), data);
  }
  mnl_attr_nest_end(msg.get(), info);
  return nl.request(msg.get()).context(what);
}

Status create_veth(RtnlSocket& nl, std::string_view name, std::string_view peer_name, const Netns* peer_netns,
                   const VethSetup& setup) {
  const std::string what = "create veth " + std::string(name) + nl.where() + " <-> " + std::string(peer_name) +
                           (peer_netns != nullptr ? peer_netns->where() : nl.where());
  if (auto valid = check_link_name(name); !valid) return std::move(valid).error().context(what);
  if (auto valid = check_link_name(peer_name); !valid) return std::move(valid).error().context(what);
  Message msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifi = msg.put_header<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  if (setup.up) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = IFF_UP;
  }
  mnl_attr_put_strz(msg.get(), IFLA_IFNAME, std::string(name).c_str());
  if (setup.mtu != 0) mnl_attr_put_u32(msg.get(), IFLA_MTU, setup.mtu);
  if (setup.master != 0) mnl_attr_put_u32(msg.get(), IFLA_MASTER, static_cast<uint32_t>(setup.master));
  nlattr* info = mnl_attr_nest_start(msg.get(), IFLA_LINKINFO);
  mnl_attr_put_strz(msg.get(), IFLA_INFO_KIND, "veth");
  nlattr* data = mnl_attr_nest_start(msg.get(), IFLA_INFO_DATA);
  nlattr* peer = mnl_attr_nest_start(msg.get(), VETH_INFO_PEER);
  // The peer's attributes follow an ifinfomsg of its own, as in a RTM_NEWLINK.
  static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(msg.get(), sizeof(ifinfomsg)))->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(msg.get(), IFLA_IFNAME, std::string(peer_name).c_str());
  if (setup.mtu != 0) mnl_attr_put_u32(msg.get(), IFLA_MTU, setup.mtu);
  if (peer_netns != nullptr) mnl_attr_put_u32(msg.get(), IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns->fd()));
  mnl_attr_nest_end(msg.get(), peer);
  mnl_attr_nest_end(msg.get(), data);
  mnl_attr_nest_end(msg.get(), info);
  return nl.request(msg.get()).context(what);
}

}  // namespace berth::networking
