#include "tests/integration/support/networking.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>
#include <tuple>

#include "common/file.h"
#include "common/strings.h"
#include "networking/netlink/links.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

using networking::IpAddress;

using networking::SocketAddress;

std::string address_of(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

// Runs `argv`; false with `error` set to what it printed when it fails.
bool run_step(const std::vector<std::string>& argv, std::string& error) {
  RunResult r = run_cmd(argv);
  if (r.ok()) return true;
  std::ostringstream os;
  os << r;
  error = os.str();
  return false;
}

// Binds `fd` to address:port; `port` 0 lets the kernel pick. The port bound to.
Result<uint16_t> bind_to(int fd, const IpAddress& address, uint16_t port) {
  const SocketAddress at = SocketAddress::of(address, port);
  if (::bind(fd, at.get(), at.length) != 0) {
    return Error::from_errno("bind " + address.to_string() + " port " + std::to_string(port));
  }
  SocketAddress bound;
  if (::getsockname(fd, bound.get(), &bound.length) != 0) return Error::from_errno("getsockname");
  return bound.port();
}

// A socket in the namespace bound to the family's any-address:port (listening for TCP).
Result<UniqueFd> bound_socket(int netns_fd, SocketKind kind, int family, uint16_t port) {
  BERTH_ASSIGN(UniqueFd fd, socket_in(netns_fd, kind, family));
  const int one = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) (void)::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  const auto any = IpAddress::unspecified(family == AF_INET ? networking::Family::kIpv4 : networking::Family::kIpv6);
  BERTH_TRY(bind_to(fd.get(), any, port));
  if (kind == SocketKind::kTcp && ::listen(fd.get(), 8) != 0) return Error::from_errno("listen");
  return fd;
}

// One non-blocking connect attempt that waits at most `wait` for the handshake.
Status try_connect(const SocketAddress& to, std::chrono::milliseconds wait) {
  UniqueFd fd(::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
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
  BERTH_ASSIGN(UniqueFd fd, socket_in(-1, SocketKind::kTcp, networking::address_family(address.family())));
  BERTH_ASSIGN(const uint16_t port, bind_to(fd.get(), address, 0));
  if (::listen(fd.get(), 8) != 0) return Error::from_errno("listen");
  return TcpListener{std::move(fd), port};
}

Status connect_from(const networking::Netns& netns, const IpAddress& address, uint16_t port,
                    std::chrono::milliseconds timeout) {
  const SocketAddress to = SocketAddress::of(address, port);
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
  SocketAddress peer;
  UniqueFd conn(::accept4(listener.fd.get(), peer.get(), &peer.length, SOCK_CLOEXEC));
  if (!conn) return Error::from_errno("accept");
  return peer.address();
}

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

NamedNetns::NamedNetns(std::string name) : name_(std::move(name)) {
  if (!run_step({"ip", "netns", "add", name_}, error_)) return;
  created_ = true;
  auto fd = open_path(path(), O_RDONLY | O_CLOEXEC);
  if (!fd) {
    error_ = fd.error().message();
    return;
  }
  fd_ = std::move(fd).value();
}

NamedNetns::~NamedNetns() {
  fd_.reset();
  if (created_) (void)run_cmd({"ip", "netns", "del", name_});
}

RunResult NamedNetns::run(const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_cmd(full);
}

VethNamespace::VethNamespace(std::string name, std::string host_if, const std::string& host_cidr,
                             const std::string& peer_cidr)
    : netns_(std::move(name)), host_if_(std::move(host_if)) {
  if (!netns_.ok()) {
    error_ = netns_.error();
    return;
  }
  const std::string& ns = netns_.name();
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
    if (!run_step(command, error_)) return;
  }
}

bool VethNamespace::add_ipv6(const std::string& host_cidr, const std::string& peer_cidr) {
  const std::string& ns = netns_.name();
  const std::vector<std::vector<std::string>> commands = {
      {"ip", "-6", "addr", "add", host_cidr, "dev", host_if_, "nodad"},
      {"ip", "-n", ns, "-6", "addr", "add", peer_cidr, "dev", "eth0", "nodad"},
      {"ip", "-n", ns, "-6", "route", "add", "default", "via", address_of(host_cidr)},
  };
  for (const auto& command : commands) {
    if (!run_step(command, error_)) return false;
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

VethNamespace::~VethNamespace() {
  // The peer dies with the namespace; the host end is deleted too in case it was left behind.
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
  Status entered = networking::run_in_netns(netns_fd, "", [&] {
    UniqueFd fd(::socket(family, type, 0));
    out = fd ? Result<UniqueFd>(std::move(fd)) : Result<UniqueFd>(Error::from_errno("socket in netns"));
  });
  if (!entered) return std::move(entered).error();
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
  SocketAddress from;
  UniqueFd conn(::accept4(listener, from.get(), &from.length, SOCK_CLOEXEC));
  if (!conn) return;
  note_peer(from);
  timeval tv{2, 0};
  (void)::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ssize_t n = ::read(conn.get(), buf.data(), buf.size());
  if (n > 0) (void)write_all(conn.get(), "pong " + std::string(buf.data(), n), "echo");
}

void EchoServer::serve_udp(int socket) {
  std::array<char, 512> buf{};
  SocketAddress from;
  ssize_t n = ::recvfrom(socket, buf.data(), buf.size(), 0, from.get(), &from.length);
  if (n <= 0) return;
  note_peer(from);
  std::string answer = "pong " + std::string(buf.data(), n);
  (void)::sendto(socket, answer.data(), answer.size(), 0, from.get(), from.length);
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

void EchoServer::note_peer(const SocketAddress& from) {
  auto address = from.address();
  if (!address) return;
  std::lock_guard lock(mutex_);
  last_peer_ = address->to_string();
}

std::string EchoServer::last_peer() const {
  std::lock_guard lock(mutex_);
  return last_peer_;
}

Result<std::string> exchange(int netns_fd, SocketKind kind, const std::string& address, uint16_t port,
                             const std::string& message) {
  const std::string what =
      std::string(kind == SocketKind::kTcp ? "tcp" : "udp") + " to " + address + " port " + std::to_string(port);
  auto ip = IpAddress::parse(address);
  if (!ip) return std::move(ip).error().context(what);
  const SocketAddress to = SocketAddress::of(*ip, port);
  BERTH_ASSIGN(UniqueFd fd, socket_in(netns_fd, kind, to.family()));
  timeval tv{2, 0};
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.get(), to.get(), to.length) != 0) {
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
  return bind_to(fd.get(), IpAddress::unspecified(networking::Family::kIpv4), 0).context("pick a free host port");
}

}  // namespace berth::integration
