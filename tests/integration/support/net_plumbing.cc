#include "tests/integration/support/net_plumbing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cstring>
#include <sstream>
#include <vector>

#include "common/file.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

std::string address_of(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

sockaddr_in ipv4_sockaddr(const std::string& ipv4, uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  (void)inet_pton(AF_INET, ipv4.c_str(), &sin.sin_addr);
  return sin;
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

Result<UniqueFd> socket_in(int netns_fd, SocketKind kind) {
  const int type = (kind == SocketKind::kTcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
  if (netns_fd < 0) {
    UniqueFd fd(::socket(AF_INET, type, 0));
    if (!fd) return Error::from_errno("socket");
    return fd;
  }
  Result<UniqueFd> out = Error(EIO, "socket_in: thread did not run");
  std::thread([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      out = Error::from_errno("setns");
      return;
    }
    UniqueFd fd(::socket(AF_INET, type, 0));
    out = fd ? Result<UniqueFd>(std::move(fd)) : Result<UniqueFd>(Error::from_errno("socket in netns"));
  }).join();
  return out;
}

EchoServer::EchoServer(int netns_fd, uint16_t port) {
  auto tcp = socket_in(netns_fd, SocketKind::kTcp);
  auto udp = socket_in(netns_fd, SocketKind::kUdp);
  if (!tcp || !udp) {
    error_ = "echo server: " + (tcp ? udp.error() : tcp.error()).message();
    return;
  }
  tcp_ = std::move(tcp).value();
  udp_ = std::move(udp).value();
  const int one = 1;
  (void)::setsockopt(tcp_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in any = ipv4_sockaddr("0.0.0.0", port);
  if (::bind(tcp_.get(), reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 || ::listen(tcp_.get(), 8) != 0 ||
      ::bind(udp_.get(), reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) {
    error_ = Error::from_errno("echo server: bind/listen port " + std::to_string(port)).message();
    return;
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

void EchoServer::serve() {
  std::array<char, 512> buf{};
  while (true) {
    std::array<pollfd, 3> fds{pollfd{stop_read_.get(), POLLIN, 0}, pollfd{tcp_.get(), POLLIN, 0},
                              pollfd{udp_.get(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    if (fds[1].revents != 0) {
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      UniqueFd conn(::accept4(tcp_.get(), reinterpret_cast<sockaddr*>(&from), &len, SOCK_CLOEXEC));
      if (conn) note_peer(from);
      timeval tv{2, 0};
      (void)::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ssize_t n = conn ? ::read(conn.get(), buf.data(), buf.size()) : -1;
      if (n > 0) (void)write_all(conn.get(), "pong " + std::string(buf.data(), n), "echo");
    }
    if (fds[2].revents != 0) {
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(udp_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) {
        note_peer(from);
        std::string answer = "pong " + std::string(buf.data(), n);
        (void)::sendto(udp_.get(), answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    }
  }
}

void EchoServer::note_peer(const sockaddr_storage& from) {
  std::array<char, INET_ADDRSTRLEN> text{};
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&from);
  if (from.ss_family != AF_INET || inet_ntop(AF_INET, &sin->sin_addr, text.data(), text.size()) == nullptr) return;
  std::lock_guard lock(mutex_);
  last_peer_ = text.data();
}

std::string EchoServer::last_peer() const {
  std::lock_guard lock(mutex_);
  return last_peer_;
}

Result<std::string> exchange(int netns_fd, SocketKind kind, const std::string& ipv4, uint16_t port,
                             const std::string& message) {
  const std::string what =
      std::string(kind == SocketKind::kTcp ? "tcp" : "udp") + " to " + ipv4 + ":" + std::to_string(port);
  BERTH_ASSIGN(UniqueFd fd, socket_in(netns_fd, kind));
  timeval tv{2, 0};
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in to = ipv4_sockaddr(ipv4, port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return Error::from_errno(what);
  BERTH_TRY(write_all(fd.get(), message, what));
  std::array<char, 512> buf{};
  ssize_t n = ::read(fd.get(), buf.data(), buf.size());
  if (n < 0) return Error::from_errno(what + ": no answer");
  return std::string(buf.data(), n);
}

Result<uint16_t> free_host_port(SocketKind kind) {
  BERTH_ASSIGN(UniqueFd fd, socket_in(-1, kind));
  sockaddr_in any = ipv4_sockaddr("0.0.0.0", 0);
  socklen_t len = sizeof any;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&any), len) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&any), &len) != 0) {
    return Error::from_errno("pick a free host port");
  }
  return ntohs(any.sin_port);
}

}  // namespace berth::integration
