// GNU sparse file maps, as the tar reader finds them: in an old GNU 'S' header and its
// extension blocks, in pax records (formats 0.0 and 0.1) or at the start of the entry's
// data (format 1.0). Parsing and checking only: a map that is out of order, overlaps,
// reaches past the real size, does not add up to the stored bytes or is too long is refused
// here, so the unpacker can trust every segment it writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::images {

// A run of data in a sparse file; everything between runs is a hole.
struct SparseSegment {
  uint64_t offset = 0;
  uint64_t length = 0;
  friend bool operator==(const SparseSegment& a, const SparseSegment& b) = default;
};

namespace detail {

// Appends the numbers of a 0.1 map ("off,len,off,len"); more than `max_numbers` is refused.
Status append_sparse_map(std::string_view csv, std::vector<uint64_t>& numbers, size_t max_numbers);

// Offset/length pairs as segments; an odd count is refused.
Result<std::vector<SparseSegment>> sparse_segments(const std::vector<uint64_t>& numbers);

// The 1.0 map that opens the entry's data: decimal lines, the count then offset/length
// pairs, padded to a block. nullopt while `text` (the blocks read so far) is not enough;
// else the offset/length numbers (the count left out).
Result<std::optional<std::vector<uint64_t>>> parse_sparse_data_map(std::string_view text, size_t max_segments);

// The segments must be in order without overlapping, inside `real_size`, and their lengths
// must add up to `stored_bytes` (the data the archive holds for the entry).
Status check_sparse_map(const std::vector<SparseSegment>& segments, uint64_t real_size, uint64_t stored_bytes);

}  // namespace detail
}  // namespace berth::images
