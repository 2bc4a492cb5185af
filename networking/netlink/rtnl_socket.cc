#include "networking/netlink/rtnl_socket.h"

#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace berth::networking {
namespace {

// Dump messages are at most 32 KiB (the kernel caps its dump buffer there); requests and
// acks are far smaller.
constexpr size_t kReceiveBufferSize = 32768;

Result<UniqueFd> make_socket() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return Error::from_errno("socket(AF_NETLINK, NETLINK_ROUTE)");
  // Extended acks say why the kernel refused (best effort: old kernels lack them); capped
  // acks do not echo the whole request back.
  const int on = 1;
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  return fd;
}

// The error of an NLMSG_ERROR or NLMSG_DONE message: 0, or a negative errno, with the
// extended ack message (NLMSGERR_ATTR_MSG) when there is one.
Error kernel_error(const nlmsghdr* nlh, int code) {
  std::string message = std::strerror(code);
  if (nlh->nlmsg_type != NLMSG_ERROR || (nlh->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return Error(code, message);
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  size_t offset = sizeof(nlmsgerr);
  if ((nlh->nlmsg_flags & NLM_F_CAPPED) == 0) offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  const size_t payload = mnl_nlmsg_get_payload_len(nlh);
  if (offset >= payload) return Error(code, message);
  const auto* attr = reinterpret_cast<const nlattr*>(static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + offset);
  int left = static_cast<int>(payload - offset);
  for (; mnl_attr_ok(attr, left); attr = mnl_attr_next(attr)) {
    left -= static_cast<int>(MNL_ALIGN(attr->nla_len));
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
      message += std::string(" (kernel: ") + mnl_attr_get_str(attr) + ")";
    }
  }
  return Error(code, message);
}

// The errno an NLMSG_ERROR or NLMSG_DONE message carries (0: success); -1 if malformed.
int error_code(const nlmsghdr* nlh) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int)) return nlh->nlmsg_type == NLMSG_DONE ? 0 : -1;
  int value = 0;
  std::memcpy(&value, mnl_nlmsg_get_payload(nlh), sizeof value);
  return -value;
}

}  // namespace

Result<RtnlSocket> RtnlSocket::open() {
  auto fd = make_socket();
  if (!fd) return std::move(fd).error();
  return RtnlSocket(std::move(*fd), "");
}

Result<RtnlSocket> RtnlSocket::open_in(const Netns& netns) {
  auto fd = in_netns(netns, make_socket);
  if (!fd) return std::move(fd).error().context("open rtnetlink" + netns.where());
  return RtnlSocket(std::move(*fd), netns.where());
}

Status RtnlSocket::request(nlmsghdr* request, const std::function<Status(const nlmsghdr*)>& on_message) {
  request->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  return exchange(request, on_message);
}

Status RtnlSocket::dump(nlmsghdr* request, const std::function<Status(const nlmsghdr*)>& on_message) {
  request->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
  return exchange(request, on_message);
}

Status RtnlSocket::send(const nlmsghdr* request) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    const ssize_t n =
        ::sendto(fd_.get(), request, request->nlmsg_len, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    if (n >= 0) return ok();
    if (errno != EINTR) return Error::from_errno("send rtnetlink request");
  }
}

Status RtnlSocket::exchange(nlmsghdr* request, const std::function<Status(const nlmsghdr*)>& on_message) {
  request->nlmsg_seq = ++seq_;
  BERTH_TRY(send(request));
  // The first failure of on_message; the answer is still read to its end so that the next
  // exchange starts on an empty socket.
  Status pending;
  std::vector<char> buf(kReceiveBufferSize);
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("receive rtnetlink answer");
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_seq != request->nlmsg_seq) continue;  // left over from an abandoned exchange
      if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
        const int code = error_code(nlh);
        if (code < 0) return Error(EBADMSG, "malformed rtnetlink error message");
        if (code > 0) return kernel_error(nlh, code);
        return pending;
      }
      if (nlh->nlmsg_type == NLMSG_OVERRUN) return Error(ENOBUFS, "rtnetlink answer overrun");
      if (nlh->nlmsg_type < NLMSG_MIN_TYPE || !on_message || !pending) continue;
      pending = on_message(nlh);
    }
  }
}

}  // namespace berth::networking
