#include "networking/nft/host_port_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "common/fd.h"

namespace berth::nft {

Status check_host_port_free(const PortMapping& m) {
  const bool v4 = m.container_ip.is_v4();
  const int type = m.protocol == Protocol::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  const std::string what = "host port " + std::string(protocol_name(m.protocol)) + "/" + std::to_string(m.host_port);
  UniqueFd fd(::socket(v4 ? AF_INET : AF_INET6, type | SOCK_CLOEXEC, 0));
  if (!fd) return Error::from_errno("probe " + what + ": socket");
  const int one = 1;
  // Lets the probe bind over TIME_WAIT leftovers, never over a listener or a bound UDP socket.
  if (type == SOCK_STREAM) (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Only the IPv6 side: an IPv4 listener does not take IPv6 traffic.
  if (!v4) (void)::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  const auto any = networking::IpAddress::unspecified(m.container_ip.family());
  const auto at = networking::SocketAddress::of(m.host_ip.value_or(any), m.host_port);
  if (::bind(fd.get(), at.get(), at.length) == 0) return ok();
  if (errno == EADDRINUSE) {
    return Error(EADDRINUSE, what + (m.host_ip ? " on " + m.host_ip->to_string() : std::string()) +
                                 " is taken by a process on the host");
  }
  if (errno == EADDRNOTAVAIL && m.host_ip) {
    // The DNAT rule only sees traffic to local addresses: it would never match.
    return Error(EADDRNOTAVAIL, what + ": " + m.host_ip->to_string() + " is not an address of this host");
  }
  return Error::from_errno("probe " + what + (m.host_ip ? " on " + m.host_ip->to_string() : std::string()));
}

}  // namespace berth::nft
