#include "networking/nft/tag.h"

#include <libnftnl/udata.h>

#include <memory>

namespace berth::nft {
namespace {

constexpr std::string_view kTagPrefix = "berth:";
// Attribute header and NUL included, a comment nft accepts fits.
constexpr uint32_t kUserdataSize = 256;

struct CommentWanted {
  uint8_t type;
  std::optional<std::string> found;
};

}  // namespace

std::string container_tag(std::string_view container_id) { return std::string(kTagPrefix) + std::string(container_id); }

std::optional<std::string> tagged_id(std::string_view comment) {
  if (!comment.starts_with(kTagPrefix) || comment.size() == kTagPrefix.size()) return std::nullopt;
  return std::string(comment.substr(kTagPrefix.size()));
}

std::vector<uint8_t> comment_userdata(std::string_view comment, uint8_t type) {
  std::unique_ptr<nftnl_udata_buf, void (*)(const nftnl_udata_buf*)> buf(nftnl_udata_buf_alloc(kUserdataSize),
                                                                         nftnl_udata_buf_free);
  nftnl_udata_put_strz(buf.get(), type, std::string(comment).c_str());
  const auto* begin = static_cast<const uint8_t*>(nftnl_udata_buf_data(buf.get()));
  return {begin, begin + nftnl_udata_buf_len(buf.get())};
}

std::optional<std::string> userdata_comment(const void* data, uint32_t len, uint8_t type) {
  CommentWanted wanted{type, std::nullopt};
  auto on_attr = [](const nftnl_udata* attr, void* out) -> int {
    auto* w = static_cast<CommentWanted*>(out);
    if (nftnl_udata_type(attr) != w->type) return 0;
    const auto* text = static_cast<const char*>(nftnl_udata_get(attr));
    const uint8_t n = nftnl_udata_len(attr);
    if (n == 0 || text[n - 1] != '\0') return 0;
    w->found = std::string(text, n - 1);
    return 0;
  };
  if (data == nullptr || nftnl_udata_parse(data, len, on_attr, &wanted) < 0) return std::nullopt;
  return wanted.found;
}

}  // namespace berth::nft
