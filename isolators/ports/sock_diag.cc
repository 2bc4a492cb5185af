#include "isolators/ports/sock_diag.h"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <new>
#include <string>

#include "networking/netns/netns.h"

namespace berth::isolators::ports {
namespace {

// Large enough for any one dump message: the kernel fills what the reader's buffer can take,
// up to 32 KiB per message.
constexpr size_t kDumpBufferSize = 32768;

uint32_t state_mask(Transport t) {
  // An unconnected UDP socket is in TCP_CLOSE; a connected one in TCP_ESTABLISHED.
  return t == Transport::kTcp ? (1U << TCP_LISTEN) : (1U << TCP_CLOSE);
}

std::string dump_name(uint8_t family, Transport t) {
  return std::string(transport_name(t)) + (family == AF_INET ? "/ipv4" : "/ipv6");
}

struct DumpTarget {
  Transport transport;
  std::vector<Listener>* out;
};

// Called by mnl_cb_run for each SOCK_DIAG_BY_FAMILY message; must not throw through libmnl.
int on_diag_message(const nlmsghdr* nlh, void* data) noexcept {
  auto* target = static_cast<DumpTarget*>(data);
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(inet_diag_msg)) {
    errno = EPROTO;
    return MNL_CB_ERROR;
  }
  const auto* msg = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
  const uint16_t port = ntohs(msg->id.idiag_sport);
  if (port == 0 || (state_mask(target->transport) & (1U << msg->idiag_state)) == 0) return MNL_CB_OK;
  try {
    target->out->push_back(Listener{target->transport, msg->idiag_family, port, msg->idiag_inode});
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
    return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

}  // namespace

std::string_view transport_name(Transport t) { return t == Transport::kTcp ? "tcp" : "udp"; }

Result<SockDiag> SockDiag::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return Error::from_errno("socket(AF_NETLINK, NETLINK_SOCK_DIAG)");
  return SockDiag(UniqueFd(fd));
}

Result<SockDiag> SockDiag::open_in(int netns_fd) {
  // The socket stays bound to the namespace it was made in after the thread has gone.
  Result<UniqueFd> fd = Error(0, {});
  Status entered = networking::run_in_netns(netns_fd, "fd " + std::to_string(netns_fd), [&] {
    fd = UniqueFd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!fd->valid()) fd = Error::from_errno("socket(AF_NETLINK, NETLINK_SOCK_DIAG)");
  });
  if (!entered) return std::move(entered).error();
  if (!fd) return std::move(fd).error();
  return SockDiag(std::move(*fd));
}

Result<std::vector<Listener>> SockDiag::listeners() {
  std::vector<Listener> out;
  for (Transport t : {Transport::kTcp, Transport::kUdp}) {
    for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) BERTH_TRY(dump(family, t, out));
  }
  return out;
}

Status SockDiag::send_request(uint8_t family, Transport transport, uint32_t seq) {
  alignas(nlmsghdr) std::array<char, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(inet_diag_req_v2))> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* req = static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  req->sdiag_family = family;
  req->sdiag_protocol = transport == Transport::kTcp ? IPPROTO_TCP : IPPROTO_UDP;
  req->idiag_states = state_mask(transport);

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    ssize_t n = ::sendto(fd_.get(), nlh, nlh->nlmsg_len, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    if (n >= 0) return ok();
    if (errno != EINTR) return Error::from_errno("send request");
  }
}

Status SockDiag::dump(uint8_t family, Transport transport, std::vector<Listener>& out) {
  const std::string what = "SOCK_DIAG_BY_FAMILY " + dump_name(family, transport);
  const uint32_t seq = ++seq_;
  if (auto sent = send_request(family, transport, seq); !sent) return std::move(sent).error().context(what);

  std::vector<char> buf(kDumpBufferSize);
  DumpTarget target{transport, &out};
  for (;;) {
    iovec iov{buf.data(), buf.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_.get(), &mh, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(what + ": recvmsg");
    if ((mh.msg_flags & MSG_TRUNC) != 0) return Error(EMSGSIZE, what + ": reply truncated");
    // Port id 0: any sender is the kernel on an unconnected netlink socket.
    int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, 0, on_diag_message, &target);
    if (r == MNL_CB_ERROR && errno == ENOENT) {
      return Error(ENOENT, what + ": the kernel has no sock_diag handler for it (inet_diag/" +
                               std::string(transport_name(transport)) + "_diag not built or loaded)");
    }
    if (r == MNL_CB_ERROR) return Error::from_errno(what);
    if (r == MNL_CB_STOP) return ok();
  }
}

}  // namespace berth::isolators::ports
