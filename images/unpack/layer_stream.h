// The uncompressed byte stream of an image layer: gzip, zstd or plain tar, told apart by
// their magic bytes, hashed (sha256: the layer's diff_id) and counted as it is read, so a
// decompression bomb stops at the caller's limit. It never seeks and never buffers a layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "images/digest/digest.h"
#include "images/oci/descriptor.h"

namespace berth::images {

// Where compressed bytes come from: read() returns 0 at the end.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual Result<size_t> read(char* buf, size_t len) = 0;
};

// Reads an fd (a blob file, a pipe) from its current offset; does not own it.
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  Result<size_t> read(char* buf, size_t len) override;

 private:
  int fd_;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  Result<size_t> read(char* buf, size_t len) override;

 private:
  std::string data_;
  size_t pos_ = 0;
};

// What a layer blob's first bytes say it is: gzip (1f 8b), zstd (28 b5 2f fd), else plain tar.
LayerCompression compression_from_magic(std::string_view first_bytes);

class LayerStream : public ByteSource {
 public:
  // `max_bytes` bounds the uncompressed stream: reading past it is an error (EFBIG).
  LayerStream(ByteSource& source, uint64_t max_bytes);
  ~LayerStream() override;
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;

  // Uncompressed bytes; 0 only at the end of the stream. A stream that stops inside a
  // gzip member or a zstd frame is an error, not an end.
  Result<size_t> read(char* buf, size_t len) override;
  // Reads what is left (tar padding after the end-of-archive blocks is part of the
  // diff_id) and returns the diff_id, "sha256:<hex>".
  Result<std::string> finish();

  [[nodiscard]] LayerCompression compression() const { return compression_; }
  [[nodiscard]] uint64_t bytes() const { return total_; }

 private:
  struct Decoder;
  Result<size_t> fill_input();
  Status detect();
  Result<size_t> decode(char* buf, size_t len);

  ByteSource& source_;
  uint64_t max_bytes_;
  uint64_t total_ = 0;
  bool detected_ = false;
  bool input_eof_ = false;
  LayerCompression compression_ = LayerCompression::kNone;
  std::string in_;  // compressed input, in_[in_pos_, in_len_) not yet consumed
  size_t in_pos_ = 0;
  size_t in_len_ = 0;
  std::unique_ptr<Decoder> decoder_;
  Hasher hash_;
};

}  // namespace berth::images
