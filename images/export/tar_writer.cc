#include "images/export/tar_writer.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/file.h"

namespace berth::images {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kChunk = size_t{128} * 1024;
constexpr size_t kMaxUstarName = 99;  // the name field holds 100 bytes, NUL-terminated here
// An 11-digit octal size field holds sizes below 8 GiB; larger ones are base-256 (GNU, pax
// readers and Go's archive/tar all take it).
constexpr uint64_t kMaxOctalSize = uint64_t{1} << 33;

// `width - 1` zero-padded octal digits and a NUL (callers pass values that fit).
void put_octal(std::array<char, kBlock>& h, size_t at, size_t width, uint64_t value) {
  for (size_t i = width - 1; i-- > 0; value >>= 3) h[at + i] = static_cast<char>('0' + (value & 7));
  h[at + width - 1] = '\0';
}

void put_size(std::array<char, kBlock>& h, uint64_t size) {
  if (size < kMaxOctalSize) return put_octal(h, 124, 12, size);
  h[124] = static_cast<char>(0x80);
  for (size_t i = 0; i < 8; ++i) h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
}

}  // namespace

Result<uint64_t> copy_to_fd(const ByteReader& reader, int fd, uint64_t offset, std::string_view what) {
  std::vector<char> buf(kChunk);
  uint64_t total = 0;
  for (;;) {
    BERTH_ASSIGN(size_t n, reader(buf.data(), buf.size()));
    if (n == 0) return total;
    BERTH_TRY(pwrite_all(fd, std::string_view(buf.data(), n), offset + total, what));
    total += n;
  }
}

Status TarWriter::write_header(uint64_t at, std::string_view name, char type, uint64_t size, const TarMeta& meta) {
  if (name.empty()) return Error(EINVAL, what_ + ": a member with an empty name");
  std::array<char, kBlock> h{};
  // A long name's full form is in the pax record written before (write_long_name).
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), kMaxUstarName));
  put_octal(h, 100, 8, meta.mode & 07777);
  put_octal(h, 108, 8, meta.uid);
  put_octal(h, 116, 8, meta.gid);
  put_size(h, size);
  put_octal(h, 136, 12, meta.mtime);
  h[156] = type;
  std::memcpy(&h[257],
              "ustar\0"
              "00",
              8);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  put_octal(h, 148, 7, sum);
  return pwrite_all(fd_, std::string_view(h.data(), h.size()), at, what_);
}

Status TarWriter::write_long_name(std::string_view name) {
  if (name.size() <= kMaxUstarName) return ok();
  // "<len> path=<name>\n", where <len> counts its own digits.
  const std::string body = " path=" + std::string(name) + "\n";
  size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) ++len;
  std::string record = std::to_string(len) + body;
  BERTH_TRY(write_header(offset_, "././@PaxHeader", 'x', record.size(), {.mode = 0644}));
  record.append((kBlock - record.size() % kBlock) % kBlock, '\0');
  BERTH_TRY(pwrite_all(fd_, record, offset_ + kBlock, what_));
  offset_ += kBlock + record.size();
  return ok();
}

Status TarWriter::add_directory(std::string_view name, const TarMeta& meta) {
  const std::string dir_name = std::string(name) + "/";
  BERTH_TRY(write_long_name(dir_name));
  BERTH_TRY(write_header(offset_, dir_name, '5', 0, meta));
  offset_ += kBlock;
  return ok();
}

Result<uint64_t> TarWriter::add_file(std::string_view name, const ByteReader& data, const TarMeta& meta) {
  BERTH_TRY(write_long_name(name));
  uint64_t header_at = offset_;
  // A placeholder first, so that a bad name fails before any data is copied.
  BERTH_TRY(write_header(header_at, name, '0', 0, meta));
  BERTH_ASSIGN(uint64_t size, copy_to_fd(data, fd_, header_at + kBlock, what_).context(std::string(name)));
  BERTH_TRY(write_header(header_at, name, '0', size, meta));
  uint64_t padding = (kBlock - size % kBlock) % kBlock;
  std::array<char, kBlock> zeros{};
  BERTH_TRY(pwrite_all(fd_, std::string_view(zeros.data(), padding), header_at + kBlock + size, what_));
  offset_ = header_at + kBlock + size + padding;
  return size;
}

Status TarWriter::finish() {
  std::array<char, 2 * kBlock> zeros{};
  BERTH_TRY(pwrite_all(fd_, std::string_view(zeros.data(), zeros.size()), offset_, what_));
  offset_ += zeros.size();
  // The file may have held more before (it is ours, but be exact about its length).
  if (::ftruncate(fd_, static_cast<off_t>(offset_)) != 0) return Error::from_errno("truncate " + what_);
  return ok();
}

}  // namespace berth::images
