// The comment berth:<container id> that ties a map element (and, in tables made before the
// maps, a DNAT rule) to its container, and the userdata (TLV) format that carries comments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::nft {

// "berth:<id>".
std::string container_tag(std::string_view container_id);
// The id in a berth:<id> comment; nullopt for any other comment.
std::optional<std::string> tagged_id(std::string_view comment);
// The longest container id a tag can hold (nft comments are at most 128 bytes with the NUL).
inline constexpr size_t kMaxTaggedIdLength = 121;

// Userdata holding `comment` as attribute `type` (NFTNL_UDATA_RULE_COMMENT for a rule,
// NFTNL_UDATA_SET_ELEM_COMMENT for a set element), NUL-terminated as nft writes it.
std::vector<uint8_t> comment_userdata(std::string_view comment, uint8_t type);
// The comment of attribute `type` in userdata; nullopt when there is none.
std::optional<std::string> userdata_comment(const void* data, uint32_t len, uint8_t type);

}  // namespace berth::nft
