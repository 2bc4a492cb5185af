// IPv4 and IPv6 addresses and subnets as plain values, parsed from and printed as text
// ("10.88.0.2", "fd00:be7::/64"), with the offset arithmetic address allocation needs.
// Self-contained on purpose: no sockets, no kernel calls.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::ipam {

enum class IpFamily : uint8_t { kV4, kV6 };

// An offset inside a subnet: wide enough for every host of an IPv6 /0.
using HostOffset = unsigned __int128;

class IpAddress {
 public:
  IpAddress() = default;
  static Result<IpAddress> parse(std::string_view text);
  // From network-order bytes: 4 of them for IPv4, 16 for IPv6.
  static IpAddress v4(const std::array<uint8_t, 4>& bytes);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes);

  [[nodiscard]] IpFamily family() const { return family_; }
  [[nodiscard]] bool is_v4() const { return family_ == IpFamily::kV4; }
  // AF_INET or AF_INET6.
  [[nodiscard]] int af() const;
  // 4 or 16.
  [[nodiscard]] size_t size() const { return is_v4() ? 4 : 16; }
  // Network-order bytes; only the first size() of them count.
  [[nodiscard]] const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  [[nodiscard]] std::string to_string() const;

  // The address `offset` past this one, wrapping within the family's width.
  [[nodiscard]] IpAddress plus(HostOffset offset) const;
  // How far this address is past `base` (the same family), wrapping.
  [[nodiscard]] HostOffset minus(const IpAddress& base) const;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy misreads the defaulted comparison.
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  IpFamily family_ = IpFamily::kV4;
  std::array<uint8_t, 16> bytes_{};
};

class Subnet {
 public:
  Subnet() = default;
  // "10.88.0.0/16"; the host bits must be zero (10.88.0.1/16 is refused, not rounded).
  static Result<Subnet> parse(std::string_view text);

  [[nodiscard]] const IpAddress& network() const { return network_; }
  [[nodiscard]] int prefix_length() const { return prefix_length_; }
  [[nodiscard]] IpFamily family() const { return network_.family(); }
  [[nodiscard]] bool contains(const IpAddress& address) const;
  // The offset of the last address (the IPv4 broadcast): 2^(width - prefix) - 1.
  [[nodiscard]] HostOffset last_offset() const;
  // The netmask as network-order bytes (first network().size() of them count).
  [[nodiscard]] std::array<uint8_t, 16> mask() const;
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Subnet&, const Subnet&) = default;

 private:
  IpAddress network_;
  int prefix_length_ = 0;
};

}  // namespace berth::ipam
