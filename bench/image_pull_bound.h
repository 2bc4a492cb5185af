// The machine's bound for pulling and unpacking an image, measured stage by stage on the
// same bytes: the compressed blobs fetched over loopback as fast as curl can (in parallel,
// into /dev/null), inflated with zlib on one thread from memory, and the uncompressed
// files written with the fewest syscalls (no owners, modes, times, xattrs, checks or
// fsync). Bench code only: the writer trusts the archive.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::bench {

struct BoundSample {
  double fetch_ms = 0;    // all blobs, in parallel, over loopback
  double inflate_ms = 0;  // every layer, one after another, one thread
  double write_ms = 0;    // every layer into its own directory
  uint64_t layers = 0, compressed_bytes = 0, uncompressed_bytes = 0, entries = 0;
  // No stage overlaps another.
  [[nodiscard]] double serial_ms() const { return fetch_ms + inflate_ms + write_ms; }
};

struct BoundInput {
  std::string registry;                 // "127.0.0.1:PORT"
  std::string repository;               // "berth/big"
  std::vector<std::string> digests;     // the layers, "sha256:<hex>"
  std::vector<std::string> blob_paths;  // the same layers on local disk (read untimed)
  std::string work_dir;                 // fresh: the files are written beneath it
  std::string log;
};

Result<BoundSample> measure_bound(const BoundInput& in);

}  // namespace berth::bench
