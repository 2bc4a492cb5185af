#include "networking/nft/ruleset_watch.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <string_view>

#include "networking/nft/nft_socket.h"

namespace berth::nft {
namespace {

// Every committed element sends a notification of its own, queued here until the next publish
// drains it: room for hundreds of them (the kernel doubles this), and no more kernel memory than
// that held by each idle table. An overflow (a whole port range, a busy kube-proxy) only costs
// one re-read of the maps.
constexpr int kReceiveBuffer = 512 << 10;
// The kernel builds notifications in buffers of at most NLMSG_GOODSIZE (8 KiB).
constexpr size_t kDatagramRoom = 64 << 10;

// The attribute naming the table in a notification of type `message` (all of them are
// attribute 1 today, but only for the types listed); none for a type we do not know.
std::optional<uint16_t> table_attribute(uint8_t message) {
  switch (message) {
    case NFT_MSG_NEWTABLE:
    case NFT_MSG_DELTABLE: return NFTA_TABLE_NAME;
    case NFT_MSG_NEWCHAIN:
    case NFT_MSG_DELCHAIN: return NFTA_CHAIN_TABLE;
    case NFT_MSG_NEWRULE:
    case NFT_MSG_DELRULE: return NFTA_RULE_TABLE;
    case NFT_MSG_NEWSET:
    case NFT_MSG_DELSET: return NFTA_SET_TABLE;
    case NFT_MSG_NEWSETELEM:
    case NFT_MSG_DELSETELEM: return NFTA_SET_ELEM_LIST_TABLE;
    case NFT_MSG_NEWOBJ:
    case NFT_MSG_DELOBJ: return NFTA_OBJ_TABLE;
    case NFT_MSG_NEWFLOWTABLE:
    case NFT_MSG_DELFLOWTABLE: return NFTA_FLOWTABLE_TABLE;
    default: return std::nullopt;
  }
}

// The first attribute of `type` after the nfgenmsg, if the attributes read well.
const nlattr* find_attribute(const nlmsghdr* nlh, uint16_t type) {
  struct Search {
    uint16_t type;
    const nlattr* found = nullptr;
  } search{type};
  auto on_attribute = [](const nlattr* attr, void* data) -> int {
    auto* s = static_cast<Search*>(data);
    if (mnl_attr_get_type(attr) == s->type && s->found == nullptr) s->found = attr;
    return MNL_CB_OK;
  };
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), on_attribute, &search) < 0) return nullptr;
  return search.found;
}

// Whether the notification `nlh` (not NEWGEN, not ours) may concern the table.
bool may_concern(const nlmsghdr* nlh, const std::string& table) {
  const std::optional<uint16_t> attr = table_attribute(nlh->nlmsg_type & 0xff);
  if (!attr) return true;
  const nlattr* name = find_attribute(nlh, *attr);
  if (name == nullptr || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0) return true;
  const auto* header = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  return header->nfgen_family == NFPROTO_INET && std::string_view(mnl_attr_get_str(name)) == table;
}

void read_notification(const nlmsghdr* nlh, const WatchedTable& table, RulesetNews& news) {
  if (nlh->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) {
    news.table_changed = true;  // not an nf_tables notification: we cannot tell
    return;
  }
  if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWGEN) {
    const nlattr* id = find_attribute(nlh, NFTA_GEN_ID);
    if (id == nullptr || mnl_attr_validate(id, MNL_TYPE_U32) < 0) {
      news.table_changed = true;
    } else {
      news.generation = ntohl(mnl_attr_get_u32(id));
    }
    return;
  }
  // The kernel puts the port id of the socket that sent the batch in each notification.
  if (nlh->nlmsg_pid == table.own_portid) return;
  if (may_concern(nlh, table.name)) news.table_changed = true;
}

}  // namespace

void read_notifications(std::span<const uint8_t> datagram, const WatchedTable& table, RulesetNews& news) {
  auto len = static_cast<int>(datagram.size());
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(datagram.data());
  for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) read_notification(nlh, table, news);
  if (len != 0) news.table_changed = true;  // a message cut short
}

Result<RulesetWatch> RulesetWatch::open(WatchedTable table) {
  const std::string what = "watch nf_tables changes to table inet " + table.name;
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER));
  if (!fd) return Error::from_errno(what + ": open netlink socket");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    return Error::from_errno(what + ": bind netlink socket");
  }
  const int group = NFNLGRP_NFTABLES;
  if (::setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
    return Error::from_errno(what + ": join group NFNLGRP_NFTABLES");
  }
  enlarge_socket_buffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF, kReceiveBuffer);
  return RulesetWatch(std::move(fd), std::move(table));
}

Result<RulesetNews> RulesetWatch::news() {
  RulesetNews news;
  buffer_.resize(kDatagramRoom);
  while (true) {
    const ssize_t n = ::recv(fd_.get(), buffer_.data(), buffer_.size(), MSG_TRUNC);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return news;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {  // the kernel dropped notifications: we cannot tell
      news.table_changed = true;
      continue;
    }
    if (n < 0) return Error::from_errno("read nf_tables notifications for table inet " + table_.name);
    if (static_cast<size_t>(n) > buffer_.size()) {  // cut short (MSG_TRUNC gives the real length)
      news.table_changed = true;
      continue;
    }
    read_notifications(std::span(buffer_.data(), static_cast<size_t>(n)), table_, news);
  }
}

}  // namespace berth::nft
