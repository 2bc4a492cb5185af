// A streaming tar reader: ustar, POSIX pax (path, linkpath, size, uid, gid, mtime,
// SCHILY.xattr.*) and GNU long names and links. It only parses: it never touches the file
// system, and it refuses (never guesses at) sparse files and unknown entry types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "images/unpack/layer_stream.h"

namespace berth::images {

enum class TarType { kRegular, kHardLink, kSymlink, kCharDevice, kBlockDevice, kDirectory, kFifo };

struct TarEntry {
  std::string path;         // as written in the archive: not cleaned, not trusted
  std::string link_target;  // symlinks: verbatim; hard links: a path in the archive
  TarType type = TarType::kRegular;
  uint32_t mode = 0;  // permission bits with setuid, setgid and sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;  // bytes of data: non-zero only for regular files
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;  // SCHILY.xattr.<name>
};

struct TarLimits {
  // Bytes of pax records and GNU long names in front of one entry (a "huge header" stops here).
  uint64_t max_header_bytes = 1 << 20;
};

class TarReader {
 public:
  TarReader(ByteSource& source, TarLimits limits) : source_(source), limits_(limits) {}

  // The next entry, after skipping what is left of the current one's data; nullopt at the
  // end-of-archive block. A stream that stops anywhere else is an error.
  Result<std::optional<TarEntry>> next();
  // Data of the current entry: 0 once all of it has been read.
  Result<size_t> read_data(char* buf, size_t len);

 private:
  struct Pending;
  Status read_full(char* buf, size_t len);
  Status skip(uint64_t len);
  Result<std::string> read_meta(uint64_t size, uint64_t& meta_bytes);
  static Status apply_pax_record(const std::string& key, const std::string& value, Pending& p);
  Status apply_globals(Pending& p);

  ByteSource& source_;
  TarLimits limits_;
  uint64_t data_left_ = 0;
  uint64_t padding_left_ = 0;
  bool started_ = false;
  bool ended_ = false;
  std::vector<std::pair<std::string, std::string>> global_pax_;
};

}  // namespace berth::images
