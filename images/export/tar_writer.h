// Writes a tar to a file: the outer tar of an export (a docker-archive, an OCI layout tar) and
// the whiteout layer of an AppC pathWhitelist. ustar headers, a pax "path" record before a name
// of 100 bytes or more, base-256 sizes past 8 GiB. Member data is streamed from a ByteReader
// and its size patched into the header afterwards, so a member (a layer decompressed on the
// fly) needs neither a known size nor memory. It writes only the names berth chooses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "images/store/content_store.h"

namespace berth::images {

// Copies `reader` to `fd` at `offset` with pwrite until the reader ends; returns the bytes.
Result<uint64_t> copy_to_fd(const ByteReader& reader, int fd, uint64_t offset, std::string_view what);

// A member's mode, owner and mtime. The defaults (root, mtime 0) make an export reproducible:
// the same image exports to the same bytes.
struct TarMeta {
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t mtime = 0;
};

class TarWriter {
 public:
  // `fd` must be a regular file or a memfd (headers are rewritten with pwrite); `what` names it
  // in errors.
  TarWriter(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}

  Status add_directory(std::string_view name, const TarMeta& meta = {.mode = 0755});
  // A regular file holding what `data` yields; returns its size.
  Result<uint64_t> add_file(std::string_view name, const ByteReader& data, const TarMeta& meta = {.mode = 0644});
  // The two zero blocks that end an archive.
  Status finish();

 private:
  Status write_header(uint64_t at, std::string_view name, char type, uint64_t size, const TarMeta& meta);
  Status write_long_name(std::string_view name);

  int fd_;
  std::string what_;
  uint64_t offset_ = 0;
};

}  // namespace berth::images
