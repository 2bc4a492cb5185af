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

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[0] == 127;
  return std::all_of(bytes_.begin(), bytes_.begin() + 15, [](uint8_t b) { return b == 0; }) && bytes_[15] == 1;
}

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

IpAddress IpAddress::plus(HostOffset offset) const {
  IpAddress out = *this;
  // Byte-wise addition from the least significant byte, carrying upward.
  unsigned carry = 0;
  for (size_t i = size(); i-- > 0;) {
    const unsigned sum = out.bytes_[i] + static_cast<unsigned>(offset & 0xff) + carry;
    out.bytes_[i] = static_cast<uint8_t>(sum & 0xff);
    carry = sum >> 8;
    offset >>= 8;
  }
  return out;
}

HostOffset IpAddress::minus(const IpAddress& base) const {
  HostOffset a = 0;
  HostOffset b = 0;
  for (size_t i = 0; i < size(); ++i) {
    a = (a << 8) | bytes_[i];
    b = (b << 8) | base.bytes_[i];
  }
  HostOffset diff = a - b;
  if (is_v4()) diff &= 0xffffffffU;
  return diff;
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
  std::array<uint8_t, 16> bytes = mask();
  for (size_t i = 0; i < address_.size(); ++i) bytes[i] &= address_.data()[i];
  // Same family and size: cannot fail.
  return IpPrefix(IpAddress::from_bytes(family(), bytes.data(), address_.size()).value(), length_);
}

std::array<uint8_t, 16> IpPrefix::mask() const {
  std::array<uint8_t, 16> m{};
  unsigned bits = length_;
  for (auto& byte : m) {
    const unsigned here = std::min(bits, 8U);
    byte = static_cast<uint8_t>(0xFF00U >> here);
    bits -= here;
  }
  return m;
}

HostOffset IpPrefix::last_offset() const {
  const unsigned host_bits = width(family()) - length_;
  if (host_bits >= 128) return ~HostOffset{0};
  return (HostOffset{1} << host_bits) - 1;
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  auto other = make(a, length_);
  return other && other->network().address() == network().address();
}

std::string IpPrefix::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

SocketAddress SocketAddress::of(const IpAddress& address, uint16_t port) {
  SocketAddress out;
  if (address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, address.data(), 4);
    out.length = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, address.data(), 16);
    out.length = sizeof(sockaddr_in6);
  }
  return out;
}

Result<IpAddress> SocketAddress::address() const {
  if (family() == AF_INET) return IpAddress::v4(reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr);
  if (family() == AF_INET6) return IpAddress::v6(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr);
  return Error(EAFNOSUPPORT, "socket address of family " + std::to_string(family()) + " is not IPv4 or IPv6");
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

Result<Subnet> Subnet::parse(std::string_view text) {
  const std::string named = "subnet " + quoted(text);
  auto prefix = IpPrefix::parse(text);
  if (!prefix) {
    // Most prefix errors already quote the whole text; the rest quote the part that was wrong.
    const std::string& why = prefix.error().message();
    if (starts_with(why, quoted(text) + ": ")) return Error(prefix.error().code(), "subnet " + why);
    return std::move(prefix).error().context(named);
  }
  if (prefix->network() != *prefix) {
    return Error(EINVAL, named + ": host bits are set (did you mean " + prefix->network().to_string() + "?)");
  }
  return Subnet(*prefix);
}

}  // namespace berth::networking
