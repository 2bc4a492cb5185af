#include "images/unpack/tar_sparse.h"

#include <cerrno>
#include <charconv>

namespace berth::images::detail {
namespace {

Result<uint64_t> sparse_number(std::string_view s) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return Error(EINVAL, "sparse map: \"" + std::string(s.substr(0, 32)) + "\" is not a number");
  }
  return n;
}

Error too_long(size_t max_segments) {
  return Error(EFBIG, "sparse map: more than " + std::to_string(max_segments) + " segments");
}

}  // namespace

Status append_sparse_map(std::string_view csv, std::vector<uint64_t>& numbers, size_t max_numbers) {
  if (csv.empty()) return ok();  // a file that is all hole
  for (;;) {
    size_t comma = csv.find(',');
    BERTH_ASSIGN(uint64_t n, sparse_number(csv.substr(0, comma)));
    if (numbers.size() >= max_numbers) return too_long(max_numbers / 2);
    numbers.push_back(n);
    if (comma == std::string_view::npos) return ok();
    csv.remove_prefix(comma + 1);
  }
}

Result<std::vector<SparseSegment>> sparse_segments(const std::vector<uint64_t>& numbers) {
  if (numbers.size() % 2 != 0) return Error(EINVAL, "sparse map: an offset without a length");
  std::vector<SparseSegment> out;
  out.reserve(numbers.size() / 2);
  for (size_t i = 0; i < numbers.size(); i += 2) out.push_back({numbers[i], numbers[i + 1]});
  return out;
}

Result<std::optional<std::vector<uint64_t>>> parse_sparse_data_map(std::string_view text, size_t max_segments) {
  std::vector<uint64_t> numbers;
  std::optional<uint64_t> count;
  size_t pos = 0;
  while (!count || numbers.size() < 2 * *count) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      // A number longer than any uint64_t is garbage, not a map still arriving.
      if (text.size() - pos > 20) return Error(EINVAL, "sparse map: a line is not a number");
      return std::optional<std::vector<uint64_t>>();
    }
    BERTH_ASSIGN(uint64_t n, sparse_number(text.substr(pos, nl - pos)));
    pos = nl + 1;
    if (!count) {
      if (n > max_segments) return too_long(max_segments);
      count = n;
    } else {
      numbers.push_back(n);
    }
  }
  return std::optional<std::vector<uint64_t>>(std::move(numbers));
}

Status check_sparse_map(const std::vector<SparseSegment>& segments, uint64_t real_size, uint64_t stored_bytes) {
  uint64_t end = 0;
  uint64_t data = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const SparseSegment& s = segments[i];
    std::string which = "sparse map: segment " + std::to_string(i) + " (offset " + std::to_string(s.offset) +
                        ", length " + std::to_string(s.length) + ")";
    if (s.offset < end) return Error(EINVAL, which + " overlaps or comes before the one ahead of it");
    if (s.offset > real_size || s.length > real_size - s.offset) {
      return Error(EINVAL, which + " reaches past the file's size " + std::to_string(real_size));
    }
    end = s.offset + s.length;
    data += s.length;  // no overflow: each segment lies inside real_size, none overlap
  }
  if (data != stored_bytes) {
    return Error(EINVAL, "sparse map: its segments hold " + std::to_string(data) + " bytes, the entry " +
                             std::to_string(stored_bytes));
  }
  return ok();
}

}  // namespace berth::images::detail
