// The tar header formats: ustar blocks, pax extended records, GNU 'L'/'K' long names.
#include "images/unpack/tar_reader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <string_view>

namespace berth::images {
namespace {

using namespace std::string_view_literals;

constexpr size_t kBlock = 512;

// Offsets and lengths of the ustar header fields.
struct Field {
  size_t off;
  size_t len;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12}, kMtime{136, 12},
    kChksum{148, 8}, kLinkname{157, 100}, kMagic{257, 8}, kDevMajor{329, 8}, kDevMinor{337, 8}, kPrefix{345, 155};
constexpr size_t kTypeflag = 156;

std::string_view field(const char* h, Field f) {
  std::string_view v(h + f.off, f.len);
  return v.substr(0, std::min(v.find('\0'), v.size()));
}

uint64_t padding_for(uint64_t size) { return (kBlock - size % kBlock) % kBlock; }

// Octal, space or NUL padded; or GNU base-256 (high bit of the first byte set).
Result<uint64_t> parse_number(const char* h, Field f, std::string_view name) {
  const auto* p = reinterpret_cast<const unsigned char*>(h + f.off);
  if ((p[0] & 0x80U) != 0) {
    if ((p[0] & 0x40U) != 0) return Error(EINVAL, "tar header: " + std::string(name) + " is negative");
    uint64_t v = p[0] & 0x3fU;
    for (size_t i = 1; i < f.len; ++i) {
      if (v >> 56U != 0) return Error(EOVERFLOW, "tar header: " + std::string(name) + " is too large");
      v = (v << 8U) | p[i];
    }
    return v;
  }
  std::string_view s(h + f.off, f.len);
  size_t b = s.find_first_not_of(" \0"sv);
  if (b == std::string_view::npos) return uint64_t{0};
  s = s.substr(b);
  s = s.substr(0, s.find_first_of(" \0"sv));
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 8);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return Error(EINVAL, "tar header: " + std::string(name) + " \"" + std::string(s) + "\" is not an octal number");
  }
  return v;
}

Status verify_checksum(const char* h) {
  BERTH_ASSIGN(uint64_t want, parse_number(h, kChksum, "checksum"));
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    bool in_chksum = i >= kChksum.off && i < kChksum.off + kChksum.len;
    unsigned char c = in_chksum ? ' ' : static_cast<unsigned char>(h[i]);
    unsigned_sum += c;
    signed_sum += static_cast<signed char>(in_chksum ? ' ' : h[i]);
  }
  // Some old tars summed signed chars; both are accepted, as GNU tar does.
  if (want != unsigned_sum && static_cast<int64_t>(want) != signed_sum) {
    return Error(EPROTO, "tar header checksum mismatch (not a tar stream, or a corrupt one)");
  }
  return ok();
}

Result<uint64_t> parse_decimal(std::string_view key, std::string_view v) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return Error(EINVAL, "pax record " + std::string(key) + "=\"" + std::string(v) + "\" is not a number");
  }
  return n;
}

// "1700000000.123456789": seconds and nanoseconds (negative times are clamped to 0).
Status parse_pax_time(std::string_view v, int64_t& sec, uint32_t& nsec) {
  if (!v.empty() && v[0] == '-') {
    sec = 0;
    nsec = 0;
    return ok();
  }
  size_t dot = v.find('.');
  BERTH_ASSIGN(uint64_t s, parse_decimal("mtime", v.substr(0, dot)));
  sec = static_cast<int64_t>(s);
  nsec = 0;
  if (dot != std::string_view::npos) {
    std::string frac(v.substr(dot + 1, 9));
    if (frac.find_first_not_of("0123456789") != std::string::npos) {
      return Error(EINVAL, "pax record mtime=\"" + std::string(v) + "\" is not a time");
    }
    frac.resize(9, '0');
    nsec = static_cast<uint32_t>(std::stoul(frac));
  }
  return ok();
}

bool header_only(char type) {
  return type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
}

Result<TarType> entry_type(char type, std::string_view name) {
  switch (type) {
    case '0':
    case '\0':
    case '7':
      // Pre-POSIX tars marked directories by a trailing slash only.
      if (!name.empty() && name.back() == '/') return TarType::kDirectory;
      return TarType::kRegular;
    case '1': return TarType::kHardLink;
    case '2': return TarType::kSymlink;
    case '3': return TarType::kCharDevice;
    case '4': return TarType::kBlockDevice;
    case '5': return TarType::kDirectory;
    case '6': return TarType::kFifo;
    case 'S': return TarType::kRegular;  // GNU sparse: the map is read by read_gnu_sparse
    default: break;
  }
  return Error(ENOTSUP, std::string("tar entry type '") + type + "' is not supported");
}

}  // namespace

struct TarReader::Pending {
  std::optional<std::string> path;
  std::optional<std::string> link;
  std::optional<uint64_t> size;
  std::optional<uint64_t> uid;
  std::optional<uint64_t> gid;
  std::optional<std::pair<int64_t, uint32_t>> mtime;
  std::vector<std::pair<std::string, std::string>> xattrs;
  // GNU.sparse.* records (pax sparse formats 0.0, 0.1 and 1.0).
  bool sparse = false;
  std::optional<std::string> sparse_name;
  std::optional<uint64_t> sparse_size;
  std::optional<uint64_t> sparse_blocks;
  uint64_t sparse_major = 0;
  uint64_t sparse_minor = 0;
  std::vector<uint64_t> sparse_numbers;  // 0.0 offset/numbytes records and the 0.1 map
};

Status TarReader::read_full(char* buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    BERTH_ASSIGN(size_t n, source_.read(buf + got, len - got));
    if (n == 0) return Error(EPROTO, "the tar stream is truncated");
    got += n;
  }
  return ok();
}

Status TarReader::skip(uint64_t len) {
  std::array<char, size_t{16} * 1024> scratch{};
  while (len > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, scratch.size()));
    BERTH_TRY(read_full(scratch.data(), n));
    len -= n;
  }
  return ok();
}

Status TarReader::charge_header_bytes(uint64_t& meta_bytes, uint64_t more) const {
  meta_bytes += more;
  if (meta_bytes > limits_.max_header_bytes) {
    return Error(EFBIG, "tar extended header of " + std::to_string(meta_bytes) + " bytes is over the limit of " +
                            std::to_string(limits_.max_header_bytes));
  }
  return ok();
}

Result<std::string> TarReader::read_meta(uint64_t size, uint64_t& meta_bytes) {
  BERTH_TRY(charge_header_bytes(meta_bytes, size));
  std::string data(size, '\0');
  BERTH_TRY(read_full(data.data(), data.size()));
  BERTH_TRY(skip(padding_for(size)));
  return data;
}

namespace {

Result<std::vector<std::pair<std::string, std::string>>> parse_pax(std::string_view rest) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!rest.empty()) {
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return Error(EPROTO, "pax header: record without a length");
    BERTH_ASSIGN(uint64_t len, parse_decimal("length", rest.substr(0, sp)));
    if (len <= sp + 1 || len > rest.size() || rest[len - 1] != '\n') {
      return Error(EPROTO, "pax header: record length " + std::to_string(len) + " does not fit the header");
    }
    std::string_view rec = rest.substr(sp + 1, len - sp - 2);
    rest.remove_prefix(len);
    size_t eq = rec.find('=');
    if (eq == std::string_view::npos) return Error(EPROTO, "pax header: record without '='");
    out.emplace_back(rec.substr(0, eq), rec.substr(eq + 1));
  }
  return out;
}

}  // namespace

Status TarReader::apply_pax_record(const std::string& key, const std::string& value, Pending& p) const {
  if (key == "path") {
    p.path = value;
  } else if (key == "linkpath") {
    p.link = value;
  } else if (key == "size") {
    BERTH_ASSIGN(p.size, parse_decimal(key, value));
  } else if (key == "uid") {
    BERTH_ASSIGN(p.uid, parse_decimal(key, value));
  } else if (key == "gid") {
    BERTH_ASSIGN(p.gid, parse_decimal(key, value));
  } else if (key == "mtime") {
    std::pair<int64_t, uint32_t> t;
    BERTH_TRY(parse_pax_time(value, t.first, t.second));
    p.mtime = t;
  } else if (key.starts_with("SCHILY.xattr.")) {
    p.xattrs.emplace_back(key.substr(13), value);
  } else if (key.starts_with("GNU.sparse.")) {
    return apply_sparse_record(key, value, p);
  }
  // Others (atime, ctime, uname, gname, SCHILY.dev, LIBARCHIVE.*) do not change the entry.
  return ok();
}

Status TarReader::apply_sparse_record(const std::string& key, const std::string& value, Pending& p) const {
  p.sparse = true;
  size_t max_numbers = 2 * limits_.max_sparse_segments;
  if (key == "GNU.sparse.name") {
    p.sparse_name = value;
  } else if (key == "GNU.sparse.size" || key == "GNU.sparse.realsize") {
    BERTH_ASSIGN(p.sparse_size, parse_decimal(key, value));
  } else if (key == "GNU.sparse.numblocks") {
    BERTH_ASSIGN(p.sparse_blocks, parse_decimal(key, value));
  } else if (key == "GNU.sparse.major") {
    BERTH_ASSIGN(p.sparse_major, parse_decimal(key, value));
  } else if (key == "GNU.sparse.minor") {
    BERTH_ASSIGN(p.sparse_minor, parse_decimal(key, value));
  } else if (key == "GNU.sparse.offset" || key == "GNU.sparse.numbytes") {
    // Format 0.0: the pairs come as repeated records, an offset and then its length.
    bool want_offset = p.sparse_numbers.size() % 2 == 0;
    if (want_offset != (key == "GNU.sparse.offset")) return Error(EINVAL, "pax record " + key + " out of order");
    if (p.sparse_numbers.size() >= max_numbers) {
      return Error(EFBIG, "sparse map: more than " + std::to_string(limits_.max_sparse_segments) + " segments");
    }
    BERTH_ASSIGN(uint64_t n, parse_decimal(key, value));
    p.sparse_numbers.push_back(n);
  } else if (key == "GNU.sparse.map") {
    BERTH_TRY(detail::append_sparse_map(value, p.sparse_numbers, max_numbers));
  } else {
    return Error(ENOTSUP, "pax record " + key + " is not a GNU sparse record berth knows");
  }
  return ok();
}

Status TarReader::apply_globals(Pending& p) {
  for (const auto& [key, value] : global_pax_) {
    // A global path, link or size would make every entry the same file: only defaults apply.
    // Sparse maps describe one file's data, so none applies globally either.
    if (key == "path" || key == "linkpath" || key == "size" || key.starts_with("GNU.sparse.")) continue;
    BERTH_TRY(apply_pax_record(key, value, p));
  }
  return ok();
}

Result<std::optional<TarEntry>> TarReader::next() {
  if (ended_) return std::optional<TarEntry>();
  BERTH_TRY(skip(data_left_ + padding_left_));
  data_left_ = padding_left_ = 0;
  Pending p;
  BERTH_TRY(apply_globals(p));
  uint64_t meta_bytes = 0;
  std::array<char, kBlock> block{};
  char* h = block.data();
  for (;;) {
    if (!started_) {  // an empty stream is an empty layer; any other early end is truncation
      BERTH_ASSIGN(size_t n, source_.read(h, kBlock));
      started_ = true;
      if (n == 0) {
        ended_ = true;
        return std::optional<TarEntry>();
      }
      BERTH_TRY(read_full(h + n, kBlock - n));
    } else {
      BERTH_TRY(read_full(h, kBlock));
    }
    if (std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; })) {
      ended_ = true;
      return std::optional<TarEntry>();
    }
    BERTH_TRY(verify_checksum(h));
    char type = h[kTypeflag];
    BERTH_ASSIGN(uint64_t size, parse_number(h, kSize, "size"));
    if (type == 'x' || type == 'g') {
      BERTH_ASSIGN(std::string data, read_meta(size, meta_bytes));
      BERTH_ASSIGN(auto records, parse_pax(data));
      if (type == 'g') {
        global_pax_ = std::move(records);
        BERTH_TRY(apply_globals(p));
        continue;
      }
      for (const auto& [key, value] : records) BERTH_TRY(apply_pax_record(key, value, p));
      continue;
    }
    if (type == 'L' || type == 'K') {
      BERTH_ASSIGN(std::string name, read_meta(size, meta_bytes));
      name = name.substr(0, name.find('\0'));
      (type == 'L' ? p.path : p.link) = std::move(name);
      continue;
    }
    if (type == 'V') {  // a GNU volume label names the archive, not a file
      BERTH_TRY(skip(size + padding_for(size)));
      continue;
    }
    TarEntry e;
    std::string_view magic(h + kMagic.off, kMagic.len);
    bool ustar = magic.substr(0, 6) == "ustar\0"sv;  // GNU's "ustar  \0" has no prefix field
    e.path = std::string(field(h, kName));
    if (ustar && !field(h, kPrefix).empty()) e.path = std::string(field(h, kPrefix)) + "/" + e.path;
    e.link_target = std::string(field(h, kLinkname));
    if (p.path) e.path = *p.path;
    if (p.link) e.link_target = *p.link;
    auto typed = entry_type(type, e.path);
    if (!typed) return std::move(typed).error().context("entry \"" + e.path + "\"");
    e.type = *typed;
    BERTH_ASSIGN(uint64_t mode, parse_number(h, kMode, "mode"));
    e.mode = static_cast<uint32_t>(mode & 07777U);
    BERTH_ASSIGN(uint64_t uid, parse_number(h, kUid, "uid"));
    BERTH_ASSIGN(uint64_t gid, parse_number(h, kGid, "gid"));
    BERTH_ASSIGN(uint64_t mtime, parse_number(h, kMtime, "mtime"));
    BERTH_ASSIGN(uint64_t major, parse_number(h, kDevMajor, "devmajor"));
    BERTH_ASSIGN(uint64_t minor, parse_number(h, kDevMinor, "devminor"));
    e.mtime_sec = static_cast<int64_t>(mtime);
    if (p.size) size = *p.size;
    e.uid = static_cast<uint32_t>(p.uid.value_or(uid));
    e.gid = static_cast<uint32_t>(p.gid.value_or(gid));
    if (p.mtime) std::tie(e.mtime_sec, e.mtime_nsec) = *p.mtime;
    e.dev_major = static_cast<uint32_t>(major);
    e.dev_minor = static_cast<uint32_t>(minor);
    e.xattrs = std::move(p.xattrs);
    e.size = header_only(type) ? 0 : size;
    data_left_ = e.size;
    padding_left_ = padding_for(e.size);
    if (type == 'S') {
      BERTH_TRY(read_gnu_sparse(h, e).context("entry \"" + e.path + "\""));
    } else if (p.sparse) {
      BERTH_TRY(read_pax_sparse(p, e, meta_bytes).context("entry \"" + e.path + "\""));
    }
    return std::optional<TarEntry>(std::move(e));
  }
}

// The old GNU format: four map entries in the header, then extension blocks of 21 entries
// each (between the header and the data, not counted in its size) while "isextended" is set.
Status TarReader::read_gnu_sparse(const char* header, TarEntry& e) {
  constexpr size_t kEntry = 24;
  constexpr Field kRealSize{483, 12};
  constexpr size_t kHeaderMap = 386, kHeaderExtended = 482, kBlockExtended = 504;
  std::vector<uint64_t> numbers;
  auto parse_entries = [&](const char* block, size_t first, size_t count) -> Status {
    for (size_t i = 0; i < count; ++i) {
      size_t at = first + i * kEntry;
      if (block[at] == '\0') break;  // an unused entry ends the map
      if (numbers.size() >= 2 * limits_.max_sparse_segments) {
        return Error(EFBIG, "sparse map: more than " + std::to_string(limits_.max_sparse_segments) + " segments");
      }
      BERTH_ASSIGN(uint64_t offset, parse_number(block, Field{at, 12}, "sparse offset"));
      BERTH_ASSIGN(uint64_t length, parse_number(block, Field{at + 12, 12}, "sparse length"));
      numbers.insert(numbers.end(), {offset, length});
    }
    return ok();
  };
  BERTH_TRY(parse_entries(header, kHeaderMap, 4));
  bool extended = header[kHeaderExtended] != '\0';
  std::array<char, kBlock> block{};
  while (extended) {
    BERTH_TRY(read_full(block.data(), kBlock));
    BERTH_TRY(parse_entries(block.data(), 0, 21));
    extended = block[kBlockExtended] != '\0';
  }
  BERTH_ASSIGN(uint64_t real_size, parse_number(header, kRealSize, "sparse real size"));
  BERTH_ASSIGN(auto segments, detail::sparse_segments(numbers));
  BERTH_TRY(detail::check_sparse_map(segments, real_size, data_left_));
  e.sparse = std::move(segments);
  e.size = real_size;
  return ok();
}

Status TarReader::read_pax_sparse(Pending& p, TarEntry& e, uint64_t& meta_bytes) {
  if (e.type != TarType::kRegular) return Error(EINVAL, "GNU.sparse records on an entry that is not a regular file");
  if (p.sparse_name) e.path = *p.sparse_name;
  if (!p.sparse_size) return Error(EINVAL, "GNU sparse file without GNU.sparse.size or GNU.sparse.realsize");
  std::vector<uint64_t> numbers;
  if (p.sparse_major == 1 && p.sparse_minor == 0) {
    BERTH_ASSIGN(numbers, read_sparse_data_map(meta_bytes));
  } else if (p.sparse_major == 0 && p.sparse_minor <= 1) {
    numbers = std::move(p.sparse_numbers);
    if (p.sparse_blocks && *p.sparse_blocks != numbers.size() / 2) {
      return Error(EINVAL, "sparse map: GNU.sparse.numblocks says " + std::to_string(*p.sparse_blocks) +
                               " segments, the map has " + std::to_string(numbers.size() / 2));
    }
  } else {
    return Error(ENOTSUP, "GNU sparse format " + std::to_string(p.sparse_major) + "." + std::to_string(p.sparse_minor) +
                              " is not supported");
  }
  BERTH_ASSIGN(auto segments, detail::sparse_segments(numbers));
  BERTH_TRY(detail::check_sparse_map(segments, *p.sparse_size, data_left_));
  e.sparse = std::move(segments);
  e.size = *p.sparse_size;
  return ok();
}

// Format 1.0 keeps the map in the entry's first data blocks; they count as header bytes.
Result<std::vector<uint64_t>> TarReader::read_sparse_data_map(uint64_t& meta_bytes) {
  std::string text;
  for (;;) {
    if (data_left_ < kBlock) return Error(EPROTO, "sparse map: runs past the entry's data");
    BERTH_TRY(charge_header_bytes(meta_bytes, kBlock));
    text.resize(text.size() + kBlock);
    BERTH_TRY(read_full(text.data() + text.size() - kBlock, kBlock));
    data_left_ -= kBlock;
    BERTH_ASSIGN(auto numbers, detail::parse_sparse_data_map(text, limits_.max_sparse_segments));
    if (numbers) return std::move(*numbers);
  }
}

Result<size_t> TarReader::read_data(char* buf, size_t len) {
  auto want = static_cast<size_t>(std::min<uint64_t>(len, data_left_));
  if (want == 0) return size_t{0};
  BERTH_ASSIGN(size_t n, source_.read(buf, want));
  if (n == 0) return Error(EPROTO, "the tar stream is truncated");
  data_left_ -= n;
  return n;
}

}  // namespace berth::images
