#include "tests/integration/support/networking.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/file.h"
#include "common/strings.h"
#include "networking/netlink/links.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

using networking::IpAddress;

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  [[nodiscard]] const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SocketAddress socket_address(const IpAddress& address, uint16_t port) {
  SocketAddress out;
  if (address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, address.data(), 4);
    out.length = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, address.data(), 16);
    out.length = sizeof(sockaddr_in6);
  }
  return out;
}

// One non-blocking connect attempt that waits at most `wait` for the handshake.
Status try_connect(const SocketAddress& to, std::chrono::milliseconds wait) {
  UniqueFd fd(::socket(to.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error::from_errno("socket");
  if (::connect(fd.get(), to.get(), to.length) == 0) return ok();
  if (errno != EINPROGRESS) return Error::from_errno("connect");
  pollfd p{fd.get(), POLLOUT, 0};
  const int n = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (n == 0) return Error(ETIMEDOUT, "connect: no answer");
  if (n < 0) return Error::from_errno("poll");
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return Error::from_errno("connect", err);
  return ok();
}

}  // namespace

std::string berth_name(std::string_view tag) { return "berth-" + std::string(tag) + std::to_string(::getpid()); }

NetnsStateDir::NetnsStateDir() : store_("") {
  std::string templ = "/tmp/berth-it-net-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    return;
  }
  dir_ = templ;
  store_ = networking::NetnsStore(dir_);
}

NetnsStateDir::~NetnsStateDir() {  // NOLINT(bugprone-exception-escape): see the header
  if (dir_.empty()) return;
  if (auto names = store_.list(); names.ok()) {
    for (const auto& name : *names) {
      if (auto removed = store_.remove(name); !removed) ADD_FAILURE() << removed.error().message();
    }
  }
  if (auto removed = remove_tree(dir_); !removed) ADD_FAILURE() << removed.error().message();
}

std::vector<std::string> pin_mounts(NetnsStateDir& state) {
  std::vector<std::string> out = mount_points_under(state.store().dir());
  std::erase(out, state.store().dir());
  return out;
}

HostLinks::~HostLinks() {  // NOLINT(bugprone-exception-escape): see the header
  for (const auto& name : names_) {
    if (auto removed = networking::remove_link(nl_, name); !removed) ADD_FAILURE() << removed.error().message();
  }
}

std::vector<std::string> host_links_starting_with(std::string_view prefix) {
  std::vector<std::string> out;
  auto nl = networking::RtnlSocket::open();
  if (!nl) return {"(" + nl.error().message() + ")"};
  auto links = networking::list_links(*nl);
  if (!links) return {"(" + links.error().message() + ")"};
  for (const auto& l : *links) {
    if (starts_with(l.name, prefix)) out.push_back(l.name);
  }
  return out;
}

int open_fd_count() {
  auto names = list_dir("/proc/self/fd");
  // The directory stream's own fd is counted too, the same in every call.
  return names ? static_cast<int>(names->size()) : -1;
}

Result<TcpListener> listen_tcp(const IpAddress& address) {
  const SocketAddress at = socket_address(address, 0);
  UniqueFd fd(::socket(at.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno("socket");
  if (::bind(fd.get(), at.get(), at.length) != 0) return Error::from_errno("bind " + address.to_string());
  if (::listen(fd.get(), 8) != 0) return Error::from_errno("listen");
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) return Error::from_errno("getsockname");
  const uint16_t port = ntohs(address.is_v4() ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return TcpListener{std::move(fd), port};
}

Status connect_from(const networking::Netns& netns, const IpAddress& address, uint16_t port,
                    std::chrono::milliseconds timeout) {
  const SocketAddress to = socket_address(address, port);
  const std::string what = "connect to " + address.to_string() + " port " + std::to_string(port) + netns.where();
  return networking::in_netns(netns,
                              [&]() -> Status {
                                const auto deadline = std::chrono::steady_clock::now() + timeout;
                                for (;;) {
                                  Status s = try_connect(to, std::chrono::milliseconds(500));
                                  if (s || std::chrono::steady_clock::now() > deadline) return s;
                                  std::this_thread::sleep_for(std::chrono::milliseconds(50));
                                }
                              })
      .context(what);
}

Result<IpAddress> accept_peer(const TcpListener& listener, std::chrono::milliseconds timeout) {
  pollfd p{listener.fd.get(), POLLIN, 0};
  const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (n == 0) return Error(ETIMEDOUT, "accept: no connection");
  if (n < 0) return Error::from_errno("poll");
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  UniqueFd conn(::accept4(listener.fd.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
  if (!conn) return Error::from_errno("accept");
  if (peer.ss_family == AF_INET) return IpAddress::v4(reinterpret_cast<sockaddr_in*>(&peer)->sin_addr);
  return IpAddress::v6(reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr);
}

}  // namespace berth::integration
