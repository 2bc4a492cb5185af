#include "networking/ipam/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace berth::ipam {
namespace {

int width_bits(IpFamily family) { return family == IpFamily::kV4 ? 32 : 128; }

}  // namespace

Result<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; anything longer than an IPv6 text is wrong.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return Error(EINVAL, "\"" + std::string(text) + "\" is not an IP address");
  }
  std::string z(text);
  if (z.find(':') == std::string::npos) {
    std::array<uint8_t, 4> b{};
    if (inet_pton(AF_INET, z.c_str(), b.data()) == 1) return v4(b);
  } else {
    std::array<uint8_t, 16> b{};
    if (inet_pton(AF_INET6, z.c_str(), b.data()) == 1) return v6(b);
  }
  return Error(EINVAL, "\"" + z + "\" is not an IP address");
}

IpAddress IpAddress::v4(const std::array<uint8_t, 4>& bytes) {
  IpAddress a;
  a.family_ = IpFamily::kV4;
  std::memcpy(a.bytes_.data(), bytes.data(), bytes.size());
  return a;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = IpFamily::kV6;
  a.bytes_ = bytes;
  return a;
}

int IpAddress::af() const { return is_v4() ? AF_INET : AF_INET6; }

std::string IpAddress::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (inet_ntop(af(), bytes_.data(), buf.data(), buf.size()) == nullptr) return "?";
  return buf.data();
}

IpAddress IpAddress::plus(HostOffset offset) const {
  IpAddress out = *this;
  // Byte-wise addition from the least significant byte, carrying upward.
  unsigned carry = 0;
  for (size_t i = size(); i-- > 0;) {
    unsigned sum = out.bytes_[i] + static_cast<unsigned>(offset & 0xff) + carry;
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

Result<Subnet> Subnet::parse(std::string_view text) {
  const std::string quoted = "subnet \"" + std::string(text) + "\"";
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return Error(EINVAL, quoted + ": no prefix length (want address/length)");
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::move(address).error().context(quoted);
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  const int width = width_bits(address->family());
  if (ec != std::errc() || end != len_text.data() + len_text.size() || len < 0 || len > width) {
    return Error(EINVAL, quoted + ": prefix length \"" + std::string(len_text) + "\" is not a number from 0 to " +
                             std::to_string(width));
  }
  Subnet s;
  s.network_ = *address;
  s.prefix_length_ = len;
  const auto m = s.mask();
  std::array<uint8_t, 16> masked = address->bytes();
  for (size_t i = 0; i < masked.size(); ++i) masked[i] &= m[i];
  if (masked != address->bytes()) {
    IpAddress network =
        address->is_v4() ? IpAddress::v4({masked[0], masked[1], masked[2], masked[3]}) : IpAddress::v6(masked);
    return Error(
        EINVAL, quoted + ": host bits are set (did you mean " + network.to_string() + "/" + std::to_string(len) + "?)");
  }
  return s;
}

bool Subnet::contains(const IpAddress& address) const {
  if (address.family() != family()) return false;
  const auto m = mask();
  for (size_t i = 0; i < address.size(); ++i) {
    if ((address.bytes()[i] & m[i]) != network_.bytes()[i]) return false;
  }
  return true;
}

HostOffset Subnet::last_offset() const {
  const int host_bits = width_bits(family()) - prefix_length_;
  if (host_bits >= 128) return ~HostOffset{0};
  return (HostOffset{1} << host_bits) - 1;
}

std::array<uint8_t, 16> Subnet::mask() const {
  std::array<uint8_t, 16> m{};
  int bits = prefix_length_;
  for (auto& byte : m) {
    if (bits >= 8) {
      byte = 0xff;
      bits -= 8;
    } else if (bits > 0) {
      byte = static_cast<uint8_t>(0xff00U >> bits);
      bits = 0;
    }
  }
  return m;
}

std::string Subnet::to_string() const { return network_.to_string() + "/" + std::to_string(prefix_length_); }

}  // namespace berth::ipam
