// Traffic control on one namespace's links through libnl-route (never tc(8)): the ingress
// qdisc, and u32 filters with one mirred action, added from a FilterSpec and read back as one.
// Errors name the operation, the filter, the link and the namespace: "add u32 filter prio
// 49001 tcp dport 31000/0xfff8 redirect on eth0 in netns berth-h: File exists".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "networking/netns/netns.h"
#include "networking/shared_ip/filter_spec.h"

struct nl_sock;

namespace berth::networking::shared_ip {

// A link as tc addresses it: by index; the name is for messages.
struct TcLink {
  int index = 0;
  std::string name;
};

// A u32 filter found on a link's ingress, with its kernel handle (what deleting it takes).
struct InstalledFilter {
  FilterSpec spec;
  uint32_t handle = 0;
  bool has_mirred = false;  // spec.action and spec.target_ifindex are meaningful
};

class TcSocket {
 public:
  // A NETLINK_ROUTE socket made inside `netns`.
  static Result<TcSocket> open_in(const Netns& netns);

  // An ingress qdisc on `link`, made when there is none (an existing ingress or clsact
  // qdisc serves as well).
  Status ensure_ingress(const TcLink& link);
  // Deletes `link`'s ingress qdisc when no filter is left on it; never a clsact qdisc.
  Status remove_ingress_if_unused(const TcLink& link);

  // `target` names the link the spec's mirred action sends to, for messages.
  Status add_filter(const TcLink& link, const FilterSpec& spec, std::string_view target);
  // The u32 filters on `link`'s ingress (hash tables left out); empty without an ingress qdisc.
  Result<std::vector<InstalledFilter>> list_filters(const TcLink& link);
  // Deletes one filter as list_filters() found it.
  Status delete_filter(const TcLink& link, const InstalledFilter& filter);
  // Deletes the u32 instance at `priority` on `link`'s ingress, with whatever it holds: u32
  // keeps its (empty) hash table when its last filter goes, and tc(8) would still list it.
  Status delete_priority(const TcLink& link, uint16_t priority, uint16_t protocol);

 private:
  struct SocketDeleter {
    void operator()(nl_sock* sock) const;
  };
  TcSocket(std::unique_ptr<nl_sock, SocketDeleter> sock, std::string where)
      : sock_(std::move(sock)), where_(std::move(where)) {}
  [[nodiscard]] std::string on(const TcLink& link) const { return " on " + link.name + where_; }

  std::unique_ptr<nl_sock, SocketDeleter> sock_;
  std::string where_;
};

}  // namespace berth::networking::shared_ip
