// Builds tar streams byte by byte for tests, hostile ones included (paths with "..",
// huge pax headers, truncation), and compresses them with gzip or zstd. Test code only.
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace berth::testing {

struct TarMeta {
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 1700000000;
  uint32_t major = 0;
  uint32_t minor = 0;
};

class TarBuilder {
 public:
  // One header block (no data); `size` is written as is, so it may lie.
  TarBuilder& header(char type, const std::string& name, uint64_t size, const TarMeta& m = {},
                     const std::string& link = {}) {
    std::string h(512, '\0');
    put(h, 0, 100, name);
    octal(h, 100, 8, m.mode);
    octal(h, 108, 8, m.uid);
    octal(h, 116, 8, m.gid);
    octal(h, 124, 12, size);
    octal(h, 136, 12, static_cast<uint64_t>(m.mtime));
    h[156] = type;
    put(h, 157, 100, link);
    std::memcpy(&h[257],
                "ustar\0"
                "00",
                8);
    put(h, 265, 32, "root");
    put(h, 297, 32, "root");
    octal(h, 329, 8, m.major);
    octal(h, 337, 8, m.minor);
    seal(h);
    out_ += h;
    return *this;
  }
  // Writes the checksum of the header block at `offset` in `tar`: after a test edits a field.
  static void seal(std::string& tar, size_t offset = 0) {
    char* h = &tar[offset];
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(h[i]);
    char chk[8];
    std::snprintf(chk, sizeof chk, "%06o", sum);
    std::memcpy(h + 148, chk, 7);
  }
  // Raw data plus the padding to the next block.
  TarBuilder& data(const std::string& d) {
    out_ += d;
    out_.append((512 - d.size() % 512) % 512, '\0');
    return *this;
  }
  TarBuilder& file(const std::string& name, const std::string& content, const TarMeta& m = {}) {
    return header('0', name, content.size(), m).data(content);
  }
  TarBuilder& dir(const std::string& name, TarMeta m = {.mode = 0755}) { return header('5', name, 0, m); }
  TarBuilder& symlink(const std::string& name, const std::string& target) {
    return header('2', name, 0, {.mode = 0777}, target);
  }
  TarBuilder& hardlink(const std::string& name, const std::string& target) { return header('1', name, 0, {}, target); }
  // A pax 'x' header for the next entry, records in the given order.
  TarBuilder& pax(const std::vector<std::pair<std::string, std::string>>& records, char type = 'x') {
    std::string body;
    for (const auto& [k, v] : records) body += pax_record(k, v);
    return header(type, "PaxHeaders/x", body.size()).data(body);
  }
  // A GNU 'L' (long name) or 'K' (long link) header for the next entry.
  TarBuilder& gnu_long(char type, const std::string& value) {
    std::string v = value + '\0';
    return header(type, "././@LongLink", v.size()).data(v);
  }
  TarBuilder& raw(const std::string& bytes) {
    out_ += bytes;
    return *this;
  }
  // The stream with its two end-of-archive blocks.
  [[nodiscard]] std::string finish() const { return out_ + std::string(1024, '\0'); }
  [[nodiscard]] const std::string& unfinished() const { return out_; }

  static std::string pax_record(const std::string& k, const std::string& v) {
    std::string rest = " " + k + "=" + v + "\n";
    size_t n = rest.size() + 1;
    while (std::to_string(n).size() + rest.size() != n) ++n;
    return std::to_string(n) + rest;
  }

 private:
  static void put(std::string& h, size_t off, size_t len, const std::string& v) {
    std::memcpy(&h[off], v.data(), std::min(len, v.size()));
  }
  static void octal(std::string& h, size_t off, size_t len, uint64_t v) {
    std::string s(len - 1, '0');
    for (size_t i = len - 1; i-- > 0 && v != 0; v >>= 3) s[i] = static_cast<char>('0' + (v & 7));
    std::memcpy(&h[off], s.data(), s.size());
  }
  std::string out_;
};

inline std::string gzip(const std::string& data, int level = 6) {
  z_stream z{};
  deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

// A gzip'd tar holding one file of `mib` MiB of zeros: a decompression bomb. One gzip
// member of 1 MiB of zeros is repeated (concatenated members are one gzip stream), so the
// test never compresses, nor holds, the uncompressed stream.
inline std::string gzip_bomb(const std::string& name, uint64_t mib) {
  std::string out = gzip(TarBuilder().header('0', name, mib << 20).unfinished());
  std::string member = gzip(std::string(1 << 20, '\0'), 9);
  out.reserve(out.size() + member.size() * mib);
  for (uint64_t i = 0; i < mib; ++i) out += member;
  return out + gzip(std::string(1024, '\0'));
}

}  // namespace berth::testing
