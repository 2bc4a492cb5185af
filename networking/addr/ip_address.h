// IP addresses, prefixes and subnets as plain values: parsed from text with errors that quote
// the input, formatted back (IPv6 in RFC 5952 form), compared, ordered, and offset (the
// arithmetic address allocation needs). Pure values: no kernel calls, no name resolution, no
// zone indexes ("fe80::1%eth0" is refused).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::networking {

enum class Family : uint8_t { kIpv4, kIpv6 };

// AF_INET or AF_INET6.
int address_family(Family f);
// "IPv4", "IPv6".
std::string_view family_name(Family f);

// A distance between two addresses: wide enough for every host of an IPv6 /0.
using HostOffset = unsigned __int128;

class IpAddress {
 public:
  // 0.0.0.0.
  IpAddress() = default;

  // "10.0.0.1", "fd00::1"; an error quoting `text` for anything else.
  static Result<IpAddress> parse(std::string_view text);
  // 0.0.0.0 or ::.
  static IpAddress unspecified(Family family);
  static IpAddress v4(const in_addr& a);
  static IpAddress v6(const in6_addr& a);
  // From network-order bytes: 4 for IPv4, 16 for IPv6; an error for other lengths.
  static Result<IpAddress> from_bytes(Family family, const void* data, size_t length);

  [[nodiscard]] Family family() const { return family_; }
  [[nodiscard]] bool is_v4() const { return family_ == Family::kIpv4; }
  [[nodiscard]] bool is_v6() const { return family_ == Family::kIpv6; }
  // 127.0.0.0/8 or ::1.
  [[nodiscard]] bool is_loopback() const;
  // 4 or 16.
  [[nodiscard]] size_t size() const { return is_v4() ? 4 : 16; }
  // The address in network order; size() bytes are meaningful.
  [[nodiscard]] const uint8_t* data() const { return bytes_.data(); }
  [[nodiscard]] std::string to_string() const;

  // The address `offset` past this one, wrapping within the family's width.
  [[nodiscard]] IpAddress plus(HostOffset offset) const;
  // How far this address is past `base` (of the same family), wrapping.
  [[nodiscard]] HostOffset minus(const IpAddress& base) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  // IPv4 before IPv6, then by value.
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy misreads the rewritten `(a <=> b) < 0`.
  friend std::strong_ordering operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::kIpv4;
  std::array<uint8_t, 16> bytes_{};
};

// An address with a prefix length: "10.88.0.1/16" (an interface address) or, masked,
// "10.88.0.0/16" (a network). The address keeps its host bits; network() clears them.
class IpPrefix {
 public:
  IpPrefix() = default;
  // An error when `length` exceeds the family's width (32 or 128).
  static Result<IpPrefix> make(const IpAddress& address, unsigned length);
  // "10.0.0.1/24", "fd00::1/64"; the "/N" is required.
  static Result<IpPrefix> parse(std::string_view text);

  [[nodiscard]] const IpAddress& address() const { return address_; }
  [[nodiscard]] unsigned length() const { return length_; }
  [[nodiscard]] Family family() const { return address_.family(); }
  // The prefix with its host bits cleared: 10.0.0.7/24 -> 10.0.0.0/24.
  [[nodiscard]] IpPrefix network() const;
  // Whether `a` is of the same family and inside this prefix.
  [[nodiscard]] bool contains(const IpAddress& a) const;
  // The netmask in network order; the first address().size() bytes count.
  [[nodiscard]] std::array<uint8_t, 16> mask() const;
  // The offset of the prefix's last address (the IPv4 broadcast): 2^(width - length) - 1.
  [[nodiscard]] HostOffset last_offset() const;
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): as above.
  friend std::strong_ordering operator<=>(const IpPrefix&, const IpPrefix&) = default;

 private:
  IpPrefix(IpAddress address, uint8_t length) : address_(address), length_(length) {}

  IpAddress address_;
  uint8_t length_ = 0;
};

// address:port in the form socket calls take (bind, connect, sendto) and give (accept,
// getsockname, recvfrom).
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = sizeof(sockaddr_storage);

  static SocketAddress of(const IpAddress& address, uint16_t port);
  [[nodiscard]] const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  // AF_INET or AF_INET6 (or what a socket call wrote).
  [[nodiscard]] int family() const { return storage.ss_family; }
  // The address; an error for a family other than AF_INET and AF_INET6.
  [[nodiscard]] Result<IpAddress> address() const;
  // In host order; 0 for a family other than AF_INET and AF_INET6.
  [[nodiscard]] uint16_t port() const;
};

// A network: a prefix whose host bits are all zero ("10.88.0.0/16"), as IPAM allocates from
// and nft matches on. Never rounded: "10.88.0.1/16" is refused with the network meant.
class Subnet {
 public:
  Subnet() = default;
  // "10.88.0.0/16", "fd00:be7::/64"; errors name the subnet.
  static Result<Subnet> parse(std::string_view text);

  [[nodiscard]] const IpPrefix& prefix() const { return prefix_; }
  // The first address, all host bits zero.
  [[nodiscard]] const IpAddress& network() const { return prefix_.address(); }
  [[nodiscard]] unsigned prefix_length() const { return prefix_.length(); }
  [[nodiscard]] Family family() const { return prefix_.family(); }
  [[nodiscard]] bool contains(const IpAddress& a) const { return prefix_.contains(a); }
  [[nodiscard]] HostOffset last_offset() const { return prefix_.last_offset(); }
  [[nodiscard]] std::array<uint8_t, 16> mask() const { return prefix_.mask(); }
  [[nodiscard]] std::string to_string() const { return prefix_.to_string(); }

  friend bool operator==(const Subnet&, const Subnet&) = default;

 private:
  explicit Subnet(const IpPrefix& prefix) : prefix_(prefix) {}

  IpPrefix prefix_;
};

}  // namespace berth::networking
