#include "images/import/tar_index.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <vector>

#include "common/strings.h"
#include "images/store/content_store.h"

namespace berth::images {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxExtendedHeader = uint64_t{1024} * 1024;
constexpr uint64_t kNoPaxSize = UINT64_MAX;
using Header = std::array<unsigned char, kBlock>;

std::string field(const Header& h, size_t offset, size_t len) {
  const auto* begin = reinterpret_cast<const char*>(h.data()) + offset;  // NOLINT: bytes as chars
  return {begin, static_cast<size_t>(std::find(begin, begin + len, '\0') - begin)};
}

// Octal, or GNU base-256 when the high bit of the first byte is set.
std::optional<uint64_t> number(const Header& h, size_t offset, size_t len) {
  if ((h[offset] & 0x80) != 0) {
    uint64_t v = h[offset] & 0x3f;
    for (size_t i = 1; i < len; ++i) {
      if (v > (UINT64_MAX >> 8)) return std::nullopt;
      v = (v << 8) | h[offset + i];
    }
    return v;
  }
  std::string_view text = trim(field(h, offset, len));
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '7' || v > (UINT64_MAX >> 3)) return std::nullopt;
    v = (v << 3) | static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool checksum_ok(const Header& h) {
  auto stored = number(h, 148, 8);
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return stored && *stored == sum;
}

std::string normalise(std::string name) {
  while (starts_with(name, "./")) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

Status pread_exact(int fd, void* buf, size_t len, uint64_t offset, bool& eof) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, static_cast<char*>(buf) + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("read");
    if (n == 0) {
      eof = true;
      return ok();
    }
    done += static_cast<size_t>(n);
  }
  return ok();
}

// pax records: "<len> <key>=<value>\n" ...
// A pax size of -1 (kNoPaxSize) means none was given.
void apply_pax(std::string_view data, std::string& path, std::string& link, uint64_t& size) {
  while (!data.empty()) {
    size_t space = data.find(' ');
    if (space == std::string_view::npos) return;
    auto len = parse_uint(data.substr(0, space));
    if (!len || *len <= space || *len > data.size()) return;
    std::string_view record = data.substr(space + 1, *len - space - 2);  // drops the '\n'
    data.remove_prefix(*len);
    size_t eq = record.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = record.substr(0, eq);
    std::string_view value = record.substr(eq + 1);
    if (key == "path") path = value;
    if (key == "linkpath") link = value;
    if (key == "size") size = parse_uint(value).value_or(kNoPaxSize);
  }
}

std::string resolve_link(const std::string& from, const std::string& target, char type) {
  // Hard links name archive paths; symlinks are relative to their directory.
  std::string joined = target;
  if (type == '2' && !starts_with(target, "/")) {
    size_t slash = from.rfind('/');
    joined = slash == std::string::npos ? target : from.substr(0, slash + 1) + target;
  }
  std::vector<std::string> parts;
  for (const std::string& p : split(joined, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  return join(parts, "/");
}

}  // namespace

Result<TarIndex> TarIndex::read(int fd, std::string_view what) {
  TarIndex index;
  index.what_ = what;
  uint64_t offset = 0;
  std::string long_name;
  std::string long_link;
  std::string pax_path;
  std::string pax_link;
  uint64_t pax_size = kNoPaxSize;
  for (;;) {
    Header h{};
    bool eof = false;
    BERTH_TRY(pread_exact(fd, h.data(), kBlock, offset, eof).context(std::string(what)));
    if (eof || std::all_of(h.begin(), h.end(), [](unsigned char c) { return c == 0; })) break;
    std::string at = std::string(what) + ": tar header at byte " + std::to_string(offset);
    if (!checksum_ok(h)) return Error(EINVAL, at + ": bad checksum (not a tar archive?)");
    auto size_field = number(h, 124, 12);
    if (!size_field) return Error(EINVAL, at + ": bad size field");
    uint64_t size = *size_field;
    char type = h[156] == 0 ? '0' : static_cast<char>(h[156]);
    uint64_t data = offset + kBlock;
    if (type == 'x' || type == 'L' || type == 'K') {
      if (size > kMaxExtendedHeader) return Error(EINVAL, at + ": extended header too large");
      std::string text(size, '\0');
      BERTH_TRY(pread_exact(fd, text.data(), text.size(), data, eof).context(at));
      if (eof) return Error(EINVAL, at + ": archive ends inside an extended header");
      if (type == 'x') apply_pax(text, pax_path, pax_link, pax_size);
      if (type == 'L') long_name = text.c_str();
      if (type == 'K') long_link = text.c_str();
    } else if (type != 'g') {
      TarMember m;
      std::string prefix = field(h, 345, 155);
      m.name = !pax_path.empty()    ? pax_path
               : !long_name.empty() ? long_name
               : prefix.empty()     ? field(h, 0, 100)
                                    : prefix + "/" + field(h, 0, 100);
      m.name = normalise(m.name);
      m.link = !pax_link.empty() ? pax_link : !long_link.empty() ? long_link : field(h, 157, 100);
      m.type = type;
      if (pax_size != kNoPaxSize) size = pax_size;
      m.offset = data;
      m.size = (type == '0' || type == '7') ? size : 0;
      index.members_[m.name] = m;
      long_name.clear();
      long_link.clear();
      pax_path.clear();
      pax_link.clear();
      pax_size = kNoPaxSize;
    }
    offset = data + (size + kBlock - 1) / kBlock * kBlock;
  }
  return index;
}

Result<TarMember> TarIndex::file(std::string_view name) const {
  std::string current = normalise(std::string(name));
  for (int hops = 0; hops < 16; ++hops) {
    auto it = members_.find(current);
    if (it == members_.end()) return Error(ENOENT, what_ + ": no member \"" + std::string(name) + "\"");
    const TarMember& m = it->second;
    if (m.type == '0' || m.type == '7') return m;
    if (m.type != '1' && m.type != '2') {
      return Error(EINVAL, what_ + ": member \"" + std::string(name) + "\" is not a regular file");
    }
    current = resolve_link(m.name, m.link, m.type);
  }
  return Error(ELOOP, what_ + ": member \"" + std::string(name) + "\": too many links");
}

Result<std::string> read_member(int fd, const TarMember& member) {
  std::string out(member.size, '\0');
  ByteReader reader = fd_range_reader(fd, member.offset, member.size);
  size_t done = 0;
  while (done < out.size()) {
    BERTH_ASSIGN(size_t n, reader(out.data() + done, out.size() - done));
    if (n == 0) return Error(EIO, member.name + ": the archive ends inside it");
    done += n;
  }
  return out;
}

}  // namespace berth::images
