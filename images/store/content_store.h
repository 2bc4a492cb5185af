// The content store: blobs under <root>/blobs/<algorithm>/<hex>, each written once and
// only after its digest and size were checked. Bytes arrive through a ByteReader into a
// temp file under <root>/ingest, are hashed while written, and are renamed into place
// (after fsync) only when they match; anything else leaves nothing behind. It never
// interprets a blob: manifests and layers are the callers' business.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"
#include "common/result.h"
#include "images/digest/digest.h"

namespace berth::images {

// Reads up to `len` bytes into `buf`; 0 means the end of the stream.
using ByteReader = std::function<Result<size_t>(char* buf, size_t len)>;

// Reads `fd` from its current offset to its end.
ByteReader fd_reader(int fd);
// Reads `length` bytes of `fd` from `offset` with pread (the fd's offset is untouched);
// a file that ends early is an error.
ByteReader fd_range_reader(int fd, uint64_t offset, uint64_t length);
// Reads `data`, which must outlive the reader.
ByteReader string_reader(std::string_view data);

struct BlobInfo {
  Digest digest;
  uint64_t size = 0;
};

// Manifests, indexes and configs are read whole; nothing that large is legitimate.
inline constexpr uint64_t kMaxMetadataBlobSize = uint64_t{16} * 1024 * 1024;

// Held while importing (shared) or pruning (exclusive), so that a prune never removes the
// blobs of an import that has not written its image record yet. flock(2) on <root>/lock.
class StoreLock {
 public:
  explicit StoreLock(UniqueFd fd) : fd_(std::move(fd)) {}
  // Turns a shared lock exclusive: waits until no other holder is left. (flock drops the
  // shared lock first, so two holders converting at once do not deadlock.)
  Status make_exclusive();

 private:
  UniqueFd fd_;
};

class ContentStore {
 public:
  // Creates the directories when missing and removes temp files that dead processes left
  // in <root>/ingest.
  static Result<ContentStore> open(const std::string& root);

  [[nodiscard]] const std::string& root() const { return root_; }
  [[nodiscard]] std::string blob_path(const Digest& digest) const;
  [[nodiscard]] std::string ingest_dir() const;
  [[nodiscard]] bool has(const Digest& digest) const;
  [[nodiscard]] Result<uint64_t> blob_size(const Digest& digest) const;
  [[nodiscard]] Result<UniqueFd> open_blob(const Digest& digest) const;
  // The whole blob; refused when larger than `max_size`.
  [[nodiscard]] Result<std::string> read_blob(const Digest& digest, uint64_t max_size = kMaxMetadataBlobSize) const;

  // Stores what `reader` yields as `expected`, checking the digest and that it is exactly
  // `expected_size` bytes. Returns true when written, false when the store already had it
  // (then `reader` is not read). A mismatch names expected and actual values.
  Result<bool> ingest(const ByteReader& reader, const Digest& expected, uint64_t expected_size);
  // Stores `data` under its sha256: for documents berth writes itself.
  Result<Digest> put(std::string_view data);

  Status remove_blob(const Digest& digest);
  [[nodiscard]] Result<std::vector<BlobInfo>> list_blobs() const;

  [[nodiscard]] Result<StoreLock> lock(bool exclusive) const;

 private:
  explicit ContentStore(std::string root) : root_(std::move(root)) {}
  Status remove_stale_ingests() const;

  std::string root_;
};

}  // namespace berth::images
