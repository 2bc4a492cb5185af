// Building and reading rtnetlink messages with libmnl: private to networking/netlink.
#pragma once

#include <libmnl/libmnl.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace berth::networking::detail {

// A request being built in a buffer of its own. Requests here are small (a few names and
// addresses), far below the buffer's size.
class Message {
 public:
  explicit Message(uint16_t type, uint16_t flags = 0) : nlh_(mnl_nlmsg_put_header(buf_.data())) {
    nlh_->nlmsg_type = type;
    nlh_->nlmsg_flags = flags;
  }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  Message(Message&&) = delete;
  Message& operator=(Message&&) = delete;
  ~Message() = default;

  // The family header (ifinfomsg, ifaddrmsg, rtmsg) right after the netlink header, zeroed.
  template <typename T>
  T* put_header() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(T)));
  }
  nlmsghdr* get() { return nlh_; }

 private:
  alignas(nlmsghdr) std::array<char, 4096> buf_{};
  nlmsghdr* nlh_;
};

// Attributes by type, from a message (after its family header of `header_size` bytes) or
// from a nested attribute; types at or above N are skipped.
template <size_t N>
using Attributes = std::array<const nlattr*, N>;

// libmnl's iteration macros cast through void*, which C++ refuses: its callback API it is.
struct AttributeSink {
  const nlattr** table;
  size_t size;
};

inline int store_attribute(const nlattr* attr, void* data) {
  auto* sink = static_cast<AttributeSink*>(data);
  const uint16_t type = mnl_attr_get_type(attr);
  if (type < sink->size) sink->table[type] = attr;
  return MNL_CB_OK;
}

template <size_t N>
Attributes<N> parse_attributes(const nlmsghdr* nlh, size_t header_size) {
  Attributes<N> table{};
  AttributeSink sink{table.data(), N};
  (void)mnl_attr_parse(nlh, static_cast<unsigned>(header_size), store_attribute, &sink);
  return table;
}

template <size_t N>
Attributes<N> parse_nested(const nlattr* nest) {
  Attributes<N> table{};
  AttributeSink sink{table.data(), N};
  (void)mnl_attr_parse_nested(nest, store_attribute, &sink);
  return table;
}

inline std::optional<uint32_t> attr_u32(const nlattr* attr) {
  if (attr == nullptr || mnl_attr_validate(attr, MNL_TYPE_U32) < 0) return std::nullopt;
  return mnl_attr_get_u32(attr);
}

inline std::optional<std::string> attr_string(const nlattr* attr) {
  if (attr == nullptr || mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0) return std::nullopt;
  return std::string(mnl_attr_get_str(attr));
}

}  // namespace berth::networking::detail
