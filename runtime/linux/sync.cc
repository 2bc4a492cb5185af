#include "runtime/linux/sync.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace berth::rt {
namespace {

Status send_with_fd(int sock, const void* data, size_t len, int pass_fd) {
  iovec iov{const_cast<void*>(data), len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  for (;;) {
    if (::sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0) return ok();
    if (errno != EINTR) return Error::from_errno("send on sync socket");
  }
}

}  // namespace

Status sync_send(int fd, SyncType type, std::string_view payload, int pass_fd) {
  std::string buf(sizeof(uint32_t) + payload.size(), '\0');
  auto t = static_cast<uint32_t>(type);
  std::memcpy(buf.data(), &t, sizeof t);
  std::memcpy(buf.data() + sizeof t, payload.data(), payload.size());
  return send_with_fd(fd, buf.data(), buf.size(), pass_fd);
}

Result<SyncMessage> sync_receive(int fd, std::string_view peer) {
  // Peek at the size first: a fixed 256 KiB buffer would cost that much RSS on each side.
  ssize_t size;
  do {
    size = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
  } while (size < 0 && errno == EINTR);
  if (size < 0) return Error::from_errno("receive from " + std::string(peer));
  std::vector<char> buf(std::max<size_t>(static_cast<size_t>(size), sizeof(uint32_t)));
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno("receive from " + std::string(peer));
  if (n == 0) return Error(EPIPE, std::string(peer) + " exited unexpectedly");
  if (static_cast<size_t>(n) < sizeof(uint32_t)) return Error(EPROTO, "short message from " + std::string(peer));
  SyncMessage out;
  uint32_t t = 0;
  std::memcpy(&t, buf.data(), sizeof t);
  out.type = static_cast<SyncType>(t);
  out.payload.assign(buf.data() + sizeof t, static_cast<size_t>(n) - sizeof t);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&out.fd, CMSG_DATA(c), sizeof(int));
  }
  return out;
}

Error sync_error(const SyncMessage& m) {
  int32_t code = EIO;
  std::string text = m.payload;
  if (text.size() >= sizeof code) {
    std::memcpy(&code, text.data(), sizeof code);
    text.erase(0, sizeof code);
  }
  return Error(code, text);
}

Result<SyncMessage> sync_expect(int fd, SyncType type, std::string_view peer) {
  BERTH_ASSIGN(auto m, sync_receive(fd, peer));
  if (m.type == SyncType::kError) return sync_error(m);
  if (m.type != type) {
    return Error(EPROTO,
                 "unexpected message " + std::to_string(static_cast<uint32_t>(m.type)) + " from " + std::string(peer));
  }
  return m;
}

Status send_fd(int socket, int fd, std::string_view name) {
  if (name.empty()) name = "fd";  // a message must carry at least one byte
  return send_with_fd(socket, name.data(), name.size(), fd).context("send fd over socket");
}

}  // namespace berth::rt
