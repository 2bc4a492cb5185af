#include "tests/integration/support/net_plumbing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <chrono>
#include <cstring>
#include <sstream>
#include <tuple>
#include <vector>

#include "common/file.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

std::string address_of(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

// address:port for either family; len is 0 when the address does not parse.
struct SocketAddress {
  sockaddr_storage ss{};
  socklen_t len = 0;
  [[nodiscard]] int family() const { return ss.ss_family; }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&ss); }
};

SocketAddress socket_address(const std::string& address, uint16_t port) {
  SocketAddress a;
  if (address.find(':') == std::string::npos) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&a.ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    if (inet_pton(AF_INET, address.c_str(), &sin->sin_addr) == 1) a.len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) == 1) a.len = sizeof(sockaddr_in6);
  }
  return a;
}

// A socket in the namespace bound to the family's any-address:port (listening for TCP).
Result<UniqueFd> bound_socket(int netns_fd, SocketKind kind, int family, uint16_t port) {
  BERTH_ASSIGN(UniqueFd fd, socket_in(netns_fd, kind, family));
  const int one = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) (void)::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  SocketAddress any = socket_address(family == AF_INET ? "0.0.0.0" : "::", port);
  if (::bind(fd.get(), any.get(), any.len) != 0) return Error::from_errno("bind port " + std::to_string(port));
  if (kind == SocketKind::kTcp && ::listen(fd.get(), 8) != 0) return Error::from_errno("listen");
  return fd;
}

}  // namespace

SysctlOverride::SysctlOverride(std::string key, const std::string& value) : path_("/proc/sys/" + std::move(key)) {
  auto saved = read_file(path_);
  if (!saved) {
    error_ = saved.error().message();
    return;
  }
  saved_ = *saved;
  if (auto s = write_existing(path_, value); !s) {
    error_ = s.error().message();
    saved_.clear();
  }
}

SysctlOverride::~SysctlOverride() {
  if (!saved_.empty()) (void)write_existing(path_, saved_);
}

VethNamespace::VethNamespace(std::string name, std::string host_if, const std::string& host_cidr,
                             const std::string& peer_cidr)
    : name_(std::move(name)), host_if_(std::move(host_if)) {
  if (!step({"ip", "netns", "add", name_})) return;
  created_ = true;
  const std::string& ns = name_;
  const std::vector<std::vector<std::string>> commands = {
      {"ip", "link", "add", host_if_, "type", "veth", "peer", "name", "eth0", "netns", ns},
      {"ip", "addr", "add", host_cidr, "dev", host_if_},
      {"ip", "link", "set", host_if_, "up"},
      {"ip", "-n", ns, "link", "set", "lo", "up"},
      {"ip", "-n", ns, "addr", "add", peer_cidr, "dev", "eth0"},
      {"ip", "-n", ns, "link", "set", "eth0", "up"},
      {"ip", "-n", ns, "route", "add", "default", "via", address_of(host_cidr)},
  };
  for (const auto& command : commands) {
    if (!step(command)) return;
  }
  auto fd = open_path("/run/netns/" + name_, O_RDONLY | O_CLOEXEC);
  if (!fd) {
    error_ = fd.error().message();
    return;
  }
  fd_ = std::move(fd).value();
}

bool VethNamespace::add_ipv6(const std::string& host_cidr, const std::string& peer_cidr) {
  const std::string& ns = name_;
  const std::vector<std::vector<std::string>> commands = {
      {"ip", "-6", "addr", "add", host_cidr, "dev", host_if_, "nodad"},
      {"ip", "-n", ns, "-6", "addr", "add", peer_cidr, "dev", "eth0", "nodad"},
      {"ip", "-n", ns, "-6", "route", "add", "default", "via", address_of(host_cidr)},
  };
  for (const auto& command : commands) {
    if (!step(command)) return false;
  }
  // Neighbour discovery needs the link-local addresses, which stay tentative until duplicate
  // address detection is done (a second or two after the link came up).
  const std::vector<std::vector<std::string>> tentative = {
      {"ip", "-6", "-o", "addr", "show", "dev", host_if_, "tentative"},
      {"ip", "-n", ns, "-6", "-o", "addr", "show", "dev", "eth0", "tentative"},
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (const auto& command : tentative) {
    while (true) {
      RunResult r = run_cmd(command);
      if (r.ok() && r.out.empty()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        error_ = "IPv6 addresses still tentative after 10 s: " + r.out;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return true;
}

bool VethNamespace::step(const std::vector<std::string>& argv) {
  RunResult r = run_cmd(argv);
  if (r.ok()) return true;
  std::ostringstream os;
  os << r;
  error_ = os.str();
  return false;
}

VethNamespace::~VethNamespace() {
  fd_.reset();
  // The peer dies with the namespace; the host end is deleted too in case it was left behind.
  if (created_) (void)run_cmd({"ip", "netns", "del", name_});
  (void)run_cmd({"ip", "link", "del", host_if_});
}

Result<UniqueFd> socket_in(int netns_fd, SocketKind kind, int family) {
  const int type = (kind == SocketKind::kTcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
  if (netns_fd < 0) {
    UniqueFd fd(::socket(family, type, 0));
    if (!fd) return Error::from_errno("socket");
    return fd;
  }
  Result<UniqueFd> out = Error(EIO, "socket_in: thread did not run");
  std::thread([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      out = Error::from_errno("setns");
      return;
    }
    UniqueFd fd(::socket(family, type, 0));
    out = fd ? Result<UniqueFd>(std::move(fd)) : Result<UniqueFd>(Error::from_errno("socket in netns"));
  }).join();
  return out;
}

EchoServer::EchoServer(int netns_fd, uint16_t port) {
  for (auto [kind, family, slot] :
       {std::tuple{SocketKind::kTcp, AF_INET, &tcp_}, std::tuple{SocketKind::kUdp, AF_INET, &udp_},
        std::tuple{SocketKind::kTcp, AF_INET6, &tcp6_}, std::tuple{SocketKind::kUdp, AF_INET6, &udp6_}}) {
    auto fd = bound_socket(netns_fd, kind, family, port);
    if (!fd) {
      error_ = "echo server: " + fd.error().message();
      return;
    }
    *slot = std::move(fd).value();
  }
  std::array<int, 2> p{};
  if (::pipe2(p.data(), O_CLOEXEC) != 0) {
    error_ = "echo server: pipe";
    return;
  }
  stop_read_.reset(p[0]);
  stop_write_.reset(p[1]);
  thread_ = std::thread([this] { serve(); });
}

EchoServer::~EchoServer() {
  if (thread_.joinable()) {
    (void)::write(stop_write_.get(), "x", 1);
    thread_.join();
  }
}

void EchoServer::serve_tcp(int listener) {
  std::array<char, 512> buf{};
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  UniqueFd conn(::accept4(listener, reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC));
  if (!conn) return;
  note_peer(from);
  timeval tv{2, 0};
  (void)::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ssize_t n = ::read(conn.get(), buf.data(), buf.size());
  if (n > 0) (void)write_all(conn.get(), "pong " + std::string(buf.data(), n), "echo");
}

void EchoServer::serve_udp(int socket) {
  std::array<char, 512> buf{};
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  ssize_t n = ::recvfrom(socket, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
  if (n <= 0) return;
  note_peer(from);
  std::string answer = "pong " + std::string(buf.data(), n);
  (void)::sendto(socket, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
}

void EchoServer::serve() {
  while (true) {
    std::array<pollfd, 5> fds{pollfd{stop_read_.get(), POLLIN, 0}, pollfd{tcp_.get(), POLLIN, 0},
                              pollfd{tcp6_.get(), POLLIN, 0}, pollfd{udp_.get(), POLLIN, 0},
                              pollfd{udp6_.get(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    if (fds[1].revents != 0) serve_tcp(tcp_.get());
    if (fds[2].revents != 0) serve_tcp(tcp6_.get());
    if (fds[3].revents != 0) serve_udp(udp_.get());
    if (fds[4].revents != 0) serve_udp(udp6_.get());
  }
}

void EchoServer::note_peer(const sockaddr_storage& from) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const void* address = nullptr;
  if (from.ss_family == AF_INET) address = &reinterpret_cast<const sockaddr_in*>(&from)->sin_addr;
  if (from.ss_family == AF_INET6) address = &reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr;
  if (address == nullptr || inet_ntop(from.ss_family, address, text.data(), text.size()) == nullptr) return;
  std::lock_guard lock(mutex_);
  last_peer_ = text.data();
}

std::string EchoServer::last_peer() const {
  std::lock_guard lock(mutex_);
  return last_peer_;
}

Result<std::string> exchange(int netns_fd, SocketKind kind, const std::string& address, uint16_t port,
                             const std::string& message) {
  SocketAddress to = socket_address(address, port);
  const std::string what =
      std::string(kind == SocketKind::kTcp ? "tcp" : "udp") + " to " + address + " port " + std::to_string(port);
  if (to.len == 0) return Error(EINVAL, what + ": not an address");
  BERTH_ASSIGN(UniqueFd fd, socket_in(netns_fd, kind, to.family()));
  timeval tv{2, 0};
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.get(), to.get(), to.len) != 0) {
    // A connect that runs past SO_SNDTIMEO reports EINPROGRESS: say what it means.
    if (errno == EINPROGRESS) return Error(ETIMEDOUT, what + ": connect timed out");
    return Error::from_errno(what);
  }
  BERTH_TRY(write_all(fd.get(), message, what));
  std::array<char, 512> buf{};
  ssize_t n = ::read(fd.get(), buf.data(), buf.size());
  if (n < 0) return Error::from_errno(what + ": no answer");
  return std::string(buf.data(), n);
}

Result<uint16_t> free_host_port(SocketKind kind) {
  BERTH_ASSIGN(UniqueFd fd, socket_in(-1, kind));
  SocketAddress any = socket_address("0.0.0.0", 0);
  if (::bind(fd.get(), any.get(), any.len) != 0 || ::getsockname(fd.get(), any.get(), &any.len) != 0) {
    return Error::from_errno("pick a free host port");
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&any.ss)->sin_port);
}

}  // namespace berth::integration
