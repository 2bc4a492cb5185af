// IP addresses and prefixes as plain values: parsed from text with errors that quote the
// input, formatted back (IPv6 in RFC 5952 form), compared and ordered. Pure values: no
// kernel calls, no name resolution, no zone indexes ("fe80::1%eth0" is refused).
#pragma once

#include <netinet/in.h>

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
  // 4 or 16.
  [[nodiscard]] size_t size() const { return is_v4() ? 4 : 16; }
  // The address in network order; size() bytes are meaningful.
  [[nodiscard]] const uint8_t* data() const { return bytes_.data(); }
  [[nodiscard]] std::string to_string() const;

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
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): as above.
  friend std::strong_ordering operator<=>(const IpPrefix&, const IpPrefix&) = default;

 private:
  IpPrefix(IpAddress address, uint8_t length) : address_(address), length_(length) {}

  IpAddress address_;
  uint8_t length_ = 0;
};

}  // namespace berth::networking
