#include "networking/addr/ip_address.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace berth::networking {
namespace {

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

Error invalid(std::string_view text, std::string_view why) {
  return Error(EINVAL, quoted(text) + ": " + std::string(why));
}

unsigned width(Family f) { return f == Family::kIpv4 ? 32 : 128; }

}  // namespace

int address_family(Family f) { return f == Family::kIpv4 ? AF_INET : AF_INET6; }

std::string_view family_name(Family f) { return f == Family::kIpv4 ? "IPv4" : "IPv6"; }

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty()) return invalid(text, "empty IP address");
  if (text.find('%') != std::string_view::npos) return invalid(text, "zone index (\"%...\") is not supported");
  // inet_pton needs a terminated string; the longest IPv6 text form fits in INET6_ADDRSTRLEN.
  if (text.size() >= INET6_ADDRSTRLEN) return invalid(text, "not an IPv4 or IPv6 address");
  const std::string s(text);
  if (s.find(':') != std::string::npos) {
    in6_addr a6{};
    if (::inet_pton(AF_INET6, s.c_str(), &a6) != 1) return invalid(text, "not an IPv6 address");
    return v6(a6);
  }
  in_addr a4{};
  if (::inet_pton(AF_INET, s.c_str(), &a4) != 1) {
    return invalid(text, "not an IPv4 address (four decimal numbers 0-255, no leading zeros)");
  }
  return v4(a4);
}

IpAddress IpAddress::unspecified(Family family) {
  IpAddress r;
  r.family_ = family;
  return r;
}

IpAddress IpAddress::v4(const in_addr& a) {
  IpAddress r;
  r.family_ = Family::kIpv4;
  std::memcpy(r.bytes_.data(), &a, 4);
  return r;
}

IpAddress IpAddress::v6(const in6_addr& a) {
  IpAddress r;
  r.family_ = Family::kIpv6;
  std::memcpy(r.bytes_.data(), &a, 16);
  return r;
}

Result<IpAddress> IpAddress::from_bytes(Family family, const void* data, size_t length) {
  const size_t want = family == Family::kIpv4 ? 4 : 16;
  if (length != want) {
    return Error(EINVAL, std::string(family_name(family)) + " address of " + std::to_string(length) + " bytes (want " +
                             std::to_string(want) + ")");
  }
  IpAddress r;
  r.family_ = family;
  std::memcpy(r.bytes_.data(), data, want);
  return r;
}

std::string IpAddress::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  // Cannot fail: the family is valid and the buffer is large enough for either.
  ::inet_ntop(address_family(family_), bytes_.data(), buf.data(), buf.size());
  return buf.data();
}

Result<IpPrefix> IpPrefix::make(const IpAddress& address, unsigned length) {
  if (length > width(address.family())) {
    return Error(EINVAL, "prefix length " + std::to_string(length) + " is out of range for " +
                             std::string(family_name(address.family())) + " (0-" +
                             std::to_string(width(address.family())) + ")");
  }
  return IpPrefix(address, static_cast<uint8_t>(length));
}

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  const size_t slash = text.rfind('/');
  if (slash == std::string_view::npos) return invalid(text, "missing prefix length (\"/N\")");
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::move(address).error();
  const std::string_view digits = text.substr(slash + 1);
  const auto length = parse_uint(digits);
  if (!length || digits.size() > 3) return invalid(text, "prefix length " + quoted(digits) + " is not a number");
  auto prefix = make(*address, static_cast<unsigned>(*length));
  if (!prefix) return invalid(text, prefix.error().message());
  return prefix;
}

IpPrefix IpPrefix::network() const {
  std::array<uint8_t, 16> bytes{};
  std::memcpy(bytes.data(), address_.data(), address_.size());
  for (size_t i = 0; i < address_.size(); ++i) {
    const unsigned first_bit = static_cast<unsigned>(i) * 8;
    if (first_bit >= length_) {
      bytes[i] = 0;
    } else if (first_bit + 8 > length_) {
      bytes[i] &= static_cast<uint8_t>(0xFFU << (first_bit + 8 - length_));
    }
  }
  // Same family and size: cannot fail.
  return IpPrefix(IpAddress::from_bytes(family(), bytes.data(), address_.size()).value(), length_);
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  auto other = make(a, length_);
  return other && other->network().address() == network().address();
}

std::string IpPrefix::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

}  // namespace berth::networking
