#include "networking/shared_ip/tc_filters.h"

#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include <cerrno>
#include <cstring>

namespace berth::networking::shared_ip {
namespace {

// Where filters on a link's ingress hang: ffff:fff1 serves an ingress and a clsact qdisc.
constexpr uint32_t kIngressParent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
constexpr uint32_t kIngressHandle = TC_H_MAKE(TC_H_INGRESS, 0);
// The node part of a u32 handle: 0 for a hash table, which is no filter of its own.
constexpr uint32_t kU32NodeMask = 0xfff;
// More keys than any filter here has: stops reading a malformed selector.
constexpr int kMaxKeys = 128;

template <typename T, void (*Free)(T*)>
struct NlFree {
  void operator()(T* p) const { Free(p); }
};
using Qdisc = std::unique_ptr<rtnl_qdisc, NlFree<rtnl_qdisc, rtnl_qdisc_put>>;
using Cls = std::unique_ptr<rtnl_cls, NlFree<rtnl_cls, rtnl_cls_put>>;
using Act = std::unique_ptr<rtnl_act, NlFree<rtnl_act, rtnl_act_put>>;
using Cache = std::unique_ptr<nl_cache, NlFree<nl_cache, nl_cache_free>>;

// libnl's objects all start with the rtnl_tc header; its TC_CAST is this C cast.
template <typename T>
rtnl_tc* tc(T* object) {
  return reinterpret_cast<rtnl_tc*>(object);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

// libnl turns the kernel's errno into its own codes; the common ones back again.
int errno_of(int nl_error) {
  switch (-nl_error) {
    case NLE_EXIST: return EEXIST;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NODEV: return ENODEV;
    case NLE_INVAL: return EINVAL;
    case NLE_PERM: return EPERM;
    case NLE_NOACCESS: return EACCES;
    case NLE_BUSY: return EBUSY;
    case NLE_NOMEM: return ENOMEM;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_RANGE: return ERANGE;
    default: return EIO;
  }
}

Error nl_failure(int nl_error, const std::string& what) {
  return Error(errno_of(nl_error), what + ": " + nl_geterror(nl_error));
}

Status check(int rc, const std::string& what) {
  if (rc < 0) return nl_failure(rc, what);
  return ok();
}

// A u32 classifier on `link`'s ingress at the spec's priority and protocol, nothing else set.
Result<Cls> u32_on_ingress(int ifindex, uint16_t priority, uint16_t protocol) {
  Cls cls(rtnl_cls_alloc());
  if (!cls) return Error(ENOMEM, "allocate a libnl classifier");
  rtnl_tc_set_ifindex(tc(cls.get()), ifindex);
  rtnl_tc_set_parent(tc(cls.get()), kIngressParent);
  BERTH_TRY(check(rtnl_tc_set_kind(tc(cls.get()), "u32"), "set kind u32"));
  rtnl_cls_set_prio(cls.get(), priority);
  rtnl_cls_set_protocol(cls.get(), protocol);
  return cls;
}

Result<Act> mirred_action(const FilterSpec& spec) {
  Act act(rtnl_act_alloc());
  if (!act) return Error(ENOMEM, "allocate a libnl action");
  const bool redirect = spec.action == Mirred::kRedirect;
  BERTH_TRY(check(rtnl_tc_set_kind(tc(act.get()), "mirred"), "set kind mirred"));
  BERTH_TRY(check(rtnl_mirred_set_action(act.get(), redirect ? TCA_EGRESS_REDIR : TCA_EGRESS_MIRROR), "mirred action"));
  BERTH_TRY(check(rtnl_mirred_set_ifindex(act.get(), static_cast<uint32_t>(spec.target_ifindex)), "mirred target"));
  // A redirect ends the packet's classification; a mirror lets the next filter (the next
  // container's mirror, then the host's stack) see it too.
  BERTH_TRY(check(rtnl_mirred_set_policy(act.get(), redirect ? TC_ACT_STOLEN : TC_ACT_UNSPEC), "mirred policy"));
  return act;
}

// The ingress qdisc of `ifindex` as a request names it (kind given: see its callers).
Result<Qdisc> ingress_qdisc(int ifindex) {
  Qdisc qdisc(rtnl_qdisc_alloc());
  if (!qdisc) return Error(ENOMEM, "allocate a libnl qdisc");
  rtnl_tc_set_ifindex(tc(qdisc.get()), ifindex);
  rtnl_tc_set_parent(tc(qdisc.get()), TC_H_INGRESS);
  rtnl_tc_set_handle(tc(qdisc.get()), kIngressHandle);
  BERTH_TRY(check(rtnl_tc_set_kind(tc(qdisc.get()), "ingress"), "set kind ingress"));
  return qdisc;
}

InstalledFilter read_u32(rtnl_cls* cls) {
  InstalledFilter found;
  found.handle = rtnl_tc_get_handle(tc(cls));
  found.spec.priority = rtnl_cls_get_prio(cls);
  found.spec.protocol = rtnl_cls_get_protocol(cls);
  for (int i = 0; i < kMaxKeys; ++i) {
    uint32_t value = 0;
    uint32_t mask = 0;
    int offset = 0;
    int offmask = 0;
    if (rtnl_u32_get_key(cls, static_cast<uint8_t>(i), &value, &mask, &offset, &offmask) < 0) break;
    found.spec.keys.push_back(U32Key{ntohl(value), ntohl(mask), offset});
  }
  for (rtnl_act* act = rtnl_u32_get_action(cls); act != nullptr; act = rtnl_act_next(act)) {
    const char* kind = rtnl_tc_get_kind(tc(act));
    if (kind == nullptr || std::strcmp(kind, "mirred") != 0) continue;
    found.has_mirred = true;
    found.spec.action = rtnl_mirred_get_action(act) == TCA_EGRESS_REDIR ? Mirred::kRedirect : Mirred::kMirror;
    found.spec.target_ifindex = static_cast<int>(rtnl_mirred_get_ifindex(act));
    break;
  }
  return found;
}

}  // namespace

void TcSocket::SocketDeleter::operator()(nl_sock* sock) const { nl_socket_free(sock); }

Result<TcSocket> TcSocket::open_in(const Netns& netns) {
  const std::string what = "open a libnl route socket" + netns.where();
  std::unique_ptr<nl_sock, SocketDeleter> sock;
  int rc = 0;
  // The socket belongs to the namespace of the thread that makes it, for good.
  Status entered = run_in_netns(netns, [&] {
    sock.reset(nl_socket_alloc());
    rc = sock ? nl_connect(sock.get(), NETLINK_ROUTE) : -NLE_NOMEM;
  });
  if (!entered) return std::move(entered).error().context(what);
  BERTH_TRY(check(rc, what));
  return TcSocket(std::move(sock), netns.where());
}

Status TcSocket::ensure_ingress(const TcLink& link) {
  const std::string what = "add ingress qdisc" + on(link);
  BERTH_ASSIGN(const Qdisc qdisc, ingress_qdisc(link.index).context(what));
  const int rc = rtnl_qdisc_add(sock_.get(), qdisc.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (rc == -NLE_EXIST) return ok();  // ingress or clsact: either holds ingress filters
  return check(rc, what);
}

Status TcSocket::remove_ingress_if_unused(const TcLink& link) {
  const std::string what = "remove ingress qdisc" + on(link);
  nl_cache* raw = nullptr;
  BERTH_TRY(check(rtnl_cls_alloc_cache(sock_.get(), link.index, kIngressParent, &raw), what + ": list its filters"));
  const Cache filters(raw);
  if (nl_cache_nitems(filters.get()) > 0) return ok();
  // With the kind given, the kernel refuses (EINVAL) to delete a clsact qdisc: not ours.
  BERTH_ASSIGN(const Qdisc qdisc, ingress_qdisc(link.index).context(what));
  const int rc = rtnl_qdisc_delete(sock_.get(), qdisc.get());
  if (rc == -NLE_INVAL || rc == -NLE_OBJ_NOTFOUND) return ok();
  return check(rc, what);
}

Status TcSocket::add_filter(const TcLink& link, const FilterSpec& spec, std::string_view target) {
  const std::string what = "add u32 filter " + spec.describe() + " to " + std::string(target) + on(link);
  BERTH_ASSIGN(Cls cls, u32_on_ingress(link.index, spec.priority, spec.protocol).context(what));
  for (const U32Key& key : spec.keys) {
    BERTH_TRY(check(rtnl_u32_add_key(cls.get(), htonl(key.value), htonl(key.mask), key.offset, 0), what + ": key"));
  }
  // Without the terminal flag u32 looks for a hash table to go on to and never runs actions.
  BERTH_TRY(check(rtnl_u32_set_cls_terminal(cls.get()), what + ": terminal flag"));
  BERTH_ASSIGN(Act act, mirred_action(spec).context(what));
  BERTH_TRY(check(rtnl_u32_add_action(cls.get(), act.get()), what + ": action"));  // takes its own reference
  return check(rtnl_cls_add(sock_.get(), cls.get(), NLM_F_CREATE | NLM_F_EXCL), what);
}

Result<std::vector<InstalledFilter>> TcSocket::list_filters(const TcLink& link) {
  nl_cache* raw = nullptr;
  BERTH_TRY(
      check(rtnl_cls_alloc_cache(sock_.get(), link.index, kIngressParent, &raw), "list ingress filters" + on(link)));
  const Cache filters(raw);
  std::vector<InstalledFilter> found;
  for (nl_object* obj = nl_cache_get_first(filters.get()); obj != nullptr; obj = nl_cache_get_next(obj)) {
    auto* cls = reinterpret_cast<rtnl_cls*>(obj);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    const char* kind = rtnl_tc_get_kind(tc(cls));
    if (kind == nullptr || std::strcmp(kind, "u32") != 0) continue;
    if ((rtnl_tc_get_handle(tc(cls)) & kU32NodeMask) == 0) continue;
    found.push_back(read_u32(cls));
  }
  return found;
}

Status TcSocket::delete_filter(const TcLink& link, const InstalledFilter& filter) {
  const std::string what = "delete u32 filter " + filter.spec.describe() + on(link);
  BERTH_ASSIGN(Cls cls, u32_on_ingress(link.index, filter.spec.priority, filter.spec.protocol).context(what));
  rtnl_tc_set_handle(tc(cls.get()), filter.handle);
  return check(rtnl_cls_delete(sock_.get(), cls.get(), 0), what);
}

Status TcSocket::delete_priority(const TcLink& link, uint16_t priority, uint16_t protocol) {
  const std::string what = "delete u32 filters at prio " + std::to_string(priority) + on(link);
  // Handle 0: the whole instance, not one filter of it.
  BERTH_ASSIGN(Cls cls, u32_on_ingress(link.index, priority, protocol).context(what));
  const int rc = rtnl_cls_delete(sock_.get(), cls.get(), 0);
  if (rc == -NLE_OBJ_NOTFOUND) return ok();
  return check(rc, what);
}

}  // namespace berth::networking::shared_ip
