// A published port: host port (or range) on an optional host address, forwarded to a
// container address and port, for TCP or UDP. Plain values with validation and the expansion
// of ranges into single ports (each becomes one element of an nftables map); no kernel calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "networking/addr/ip_address.h"

namespace berth::nft {

enum class Protocol : uint8_t { kTcp, kUdp };
// "tcp", "udp".
std::string_view protocol_name(Protocol protocol);

struct PortMapping {
  Protocol protocol = Protocol::kTcp;
  // None: every local address of the container address's family.
  std::optional<networking::IpAddress> host_ip;
  uint16_t host_port = 0;
  // Set for a range host_port..host_port_last, mapped one to one onto container_port.. .
  std::optional<uint16_t> host_port_last;
  networking::IpAddress container_ip;
  uint16_t container_port = 0;

  // The host ports this mapping takes: 1, or the length of the range.
  [[nodiscard]] int port_count() const;
  // "tcp 0.0.0.0:8080 -> 10.88.0.2:80", "udp [::1]:53-54 -> [fd00::2]:53".
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const PortMapping&, const PortMapping&) = default;
};

// Refuses port 0, reversed ranges, ranges running past 65535 in the container,
// and a host address of another family than the container's.
Status validate(const PortMapping& mapping);
// One single-port mapping per host port of `mapping` (which must be valid).
std::vector<PortMapping> expand(const PortMapping& mapping);

// Whether two single-port mappings want the same host port: the same protocol, family and
// port, and the same host address or either one on every address.
bool same_host_port(const PortMapping& a, const PortMapping& b);

}  // namespace berth::nft
