// A streaming tar reader: ustar, POSIX pax (path, linkpath, size, uid, gid, mtime,
// SCHILY.xattr.*), GNU long names and links, and GNU sparse files (old 'S' headers with
// their extension blocks, pax sparse formats 0.0, 0.1 and 1.0). It only parses: it never
// touches the file system, and it refuses (never guesses at) unknown entry types and
// sparse maps that do not describe the data they come with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "images/unpack/layer_stream.h"
#include "images/unpack/tar_sparse.h"

namespace berth::images {

enum class TarType { kRegular, kHardLink, kSymlink, kCharDevice, kBlockDevice, kDirectory, kFifo };

struct TarEntry {
  std::string path;         // as written in the archive: not cleaned, not trusted
  std::string link_target;  // symlinks: verbatim; hard links: a path in the archive
  TarType type = TarType::kRegular;
  uint32_t mode = 0;  // permission bits with setuid, setgid and sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;  // bytes of the file: non-zero only for regular files
  // A sparse regular file: read_data() yields only the bytes of these segments, in order,
  // and the rest of its `size` bytes are holes. nullopt for other files.
  std::optional<std::vector<SparseSegment>> sparse;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;  // SCHILY.xattr.<name>
};

struct TarLimits {
  // Bytes of pax records and GNU long names in front of one entry (a "huge header" stops here).
  uint64_t max_header_bytes = 1 << 20;
  // Segments of one sparse file's map.
  size_t max_sparse_segments = 1 << 16;
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
  Status charge_header_bytes(uint64_t& meta_bytes, uint64_t more) const;
  Status apply_pax_record(const std::string& key, const std::string& value, Pending& p) const;
  Status apply_sparse_record(const std::string& key, const std::string& value, Pending& p) const;
  Status apply_globals(Pending& p);
  Status read_gnu_sparse(const char* header, TarEntry& e);
  Status read_pax_sparse(Pending& p, TarEntry& e, uint64_t& meta_bytes);
  Result<std::vector<uint64_t>> read_sparse_data_map(uint64_t& meta_bytes);

  ByteSource& source_;
  TarLimits limits_;
  uint64_t data_left_ = 0;
  uint64_t padding_left_ = 0;
  bool started_ = false;
  bool ended_ = false;
  std::vector<std::pair<std::string, std::string>> global_pax_;
};

}  // namespace berth::images
