// Network plumbing for integration tests that need traffic: named network namespaces with a
// veth to the host (built with `ip`, since berth's own netlink code lives elsewhere), sysctls
// put back as they were, and a TCP/UDP echo server and clients that run in a namespace.
// Test code only. Everything it makes is named berth… and goes away with its owner, even when
// the test fails half-way.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.h"
#include "common/result.h"

namespace berth::integration {

// A sysctl (its /proc/sys path, "net/ipv4/ip_forward") set for the test and put back after.
class SysctlOverride {
 public:
  SysctlOverride(std::string key, const std::string& value);
  ~SysctlOverride();
  SysctlOverride(const SysctlOverride&) = delete;
  SysctlOverride& operator=(const SysctlOverride&) = delete;
  SysctlOverride(SysctlOverride&&) = delete;
  SysctlOverride& operator=(SysctlOverride&&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string saved_;
  std::string error_;
};

// `ip netns add <name>` plus a veth pair: <host_if> in the host namespace with host_cidr,
// eth0 inside with peer_cidr and a default route through host_cidr's address.
// Deleted (namespace and veth) by the destructor.
class VethNamespace {
 public:
  VethNamespace(std::string name, std::string host_if, const std::string& host_cidr, const std::string& peer_cidr);
  ~VethNamespace();
  VethNamespace(const VethNamespace&) = delete;
  VethNamespace& operator=(const VethNamespace&) = delete;
  VethNamespace(VethNamespace&&) = delete;
  VethNamespace& operator=(VethNamespace&&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  // Adds IPv6 addresses (without duplicate address detection) and a default route, as above,
  // and waits until the link-local addresses are usable.
  bool add_ipv6(const std::string& host_cidr, const std::string& peer_cidr);
  [[nodiscard]] const std::string& host_if() const { return host_if_; }
  // /run/netns/<name>, open.
  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  bool step(const std::vector<std::string>& argv);

  std::string name_;
  std::string host_if_;
  std::string error_;
  bool created_ = false;
  UniqueFd fd_;
};

enum class SocketKind : uint8_t { kTcp, kUdp };

// A socket (AF_INET or AF_INET6) made in the namespace `netns_fd` refers to (-1: the
// caller's): a short thread enters it, so the calling thread never changes namespace.
Result<UniqueFd> socket_in(int netns_fd, SocketKind kind, int family = AF_INET);

// Answers "pong <what it got>" to each TCP connection and UDP datagram on `port` (all IPv4
// and IPv6 addresses) inside the namespace, until destroyed.
class EchoServer {
 public:
  EchoServer(int netns_fd, uint16_t port);
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  EchoServer(EchoServer&&) = delete;
  EchoServer& operator=(EchoServer&&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  // The source address of the last connection or datagram served ("" before any).
  [[nodiscard]] std::string last_peer() const;

 private:
  void serve();
  void serve_tcp(int listener);
  void serve_udp(int socket);
  void note_peer(const sockaddr_storage& from);

  std::string error_;
  UniqueFd tcp_;
  UniqueFd udp_;
  UniqueFd tcp6_;
  UniqueFd udp6_;
  UniqueFd stop_read_;
  UniqueFd stop_write_;
  mutable std::mutex mutex_;
  std::string last_peer_;
  std::thread thread_;
};

// Sends `message` from a socket in `netns_fd` (-1: the caller's) to address:port (IPv4 or
// IPv6) and returns the answer; an error (refused, timed out) otherwise. Two seconds at most.
Result<std::string> exchange(int netns_fd, SocketKind kind, const std::string& address, uint16_t port,
                             const std::string& message);

// A port nothing on the host holds now (the kernel's pick for an ephemeral bind).
Result<uint16_t> free_host_port(SocketKind kind);

}  // namespace berth::integration
