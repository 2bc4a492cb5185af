// Decompression by magic bytes (gzip, zstd, none), hashing and the byte limit.
#include "images/unpack/layer_stream.h"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

namespace berth::images {

Result<size_t> FdSource::read(char* buf, size_t len) {
  for (;;) {
    ssize_t n = ::read(fd_, buf, len);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return Error::from_errno("read the layer blob");
  }
}

Result<size_t> StringSource::read(char* buf, size_t len) {
  size_t n = std::min(len, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

LayerCompression compression_from_magic(std::string_view first_bytes) {
  if (first_bytes.starts_with("\x1f\x8b")) return LayerCompression::kGzip;
  if (first_bytes.starts_with("\x28\xb5\x2f\xfd")) return LayerCompression::kZstd;
  return LayerCompression::kNone;
}

namespace {
constexpr size_t kInputChunk = size_t{128} * 1024;
}  // namespace

struct LayerStream::Decoder {
  z_stream z{};
  bool z_init = false;
  ZSTD_DStream* zstd = nullptr;
  bool member_done = false;  // between gzip members / zstd frames: EOF here is a clean end
  ~Decoder() {
    if (z_init) inflateEnd(&z);
    if (zstd != nullptr) ZSTD_freeDStream(zstd);
  }
};

LayerStream::LayerStream(ByteSource& source, uint64_t max_bytes)
    : source_(source), max_bytes_(max_bytes), in_(kInputChunk, '\0'), decoder_(std::make_unique<Decoder>()) {}
LayerStream::~LayerStream() = default;

Result<size_t> LayerStream::fill_input() {
  if (in_pos_ < in_len_ || input_eof_) return in_len_ - in_pos_;
  BERTH_ASSIGN(size_t n, source_.read(in_.data(), in_.size()));
  in_pos_ = 0;
  in_len_ = n;
  if (n == 0) input_eof_ = true;
  return n;
}

Status LayerStream::detect() {
  detected_ = true;
  // The magic may arrive in pieces from a pipe: gather up to 4 bytes.
  while (in_len_ < 4 && !input_eof_) {
    BERTH_ASSIGN(size_t n, source_.read(in_.data() + in_len_, in_.size() - in_len_));
    if (n == 0) input_eof_ = true;
    in_len_ += n;
  }
  compression_ = compression_from_magic(std::string_view(in_.data(), in_len_));
  if (compression_ == LayerCompression::kGzip) {
    if (inflateInit2(&decoder_->z, 16 + MAX_WBITS) != Z_OK) return Error(ENOMEM, "start gzip decompression");
    decoder_->z_init = true;
  } else if (compression_ == LayerCompression::kZstd) {
    decoder_->zstd = ZSTD_createDStream();
    if (decoder_->zstd == nullptr) return Error(ENOMEM, "start zstd decompression");
  }
  return ok();
}

Result<size_t> LayerStream::decode(char* buf, size_t len) {
  Decoder& d = *decoder_;
  for (;;) {
    BERTH_ASSIGN(size_t avail, fill_input());
    if (avail == 0) {
      if (compression_ == LayerCompression::kNone || d.member_done) return size_t{0};
      return Error(EPROTO, std::string(compression_name(compression_)) + " stream is truncated");
    }
    if (compression_ == LayerCompression::kNone) {
      size_t n = std::min(len, avail);
      std::memcpy(buf, in_.data() + in_pos_, n);
      in_pos_ += n;
      return n;
    }
    if (compression_ == LayerCompression::kGzip) {
      if (d.member_done) {  // another gzip member follows (pigz, concatenated streams)
        inflateReset(&d.z);
        d.member_done = false;
      }
      d.z.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
      d.z.avail_in = static_cast<uInt>(avail);
      d.z.next_out = reinterpret_cast<Bytef*>(buf);
      d.z.avail_out = static_cast<uInt>(len);
      int rc = inflate(&d.z, Z_NO_FLUSH);
      in_pos_ = in_len_ - d.z.avail_in;
      if (rc == Z_STREAM_END) d.member_done = true;
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        return Error(EPROTO,
                     std::string("gzip stream is corrupt: ") + (d.z.msg != nullptr ? d.z.msg : "inflate failed"));
      }
      size_t produced = len - d.z.avail_out;
      if (produced > 0) return produced;
      continue;
    }
    ZSTD_inBuffer in{in_.data() + in_pos_, avail, 0};
    ZSTD_outBuffer out{buf, len, 0};
    size_t rc = ZSTD_decompressStream(d.zstd, &out, &in);
    in_pos_ += in.pos;
    if (ZSTD_isError(rc) != 0U) return Error(EPROTO, std::string("zstd stream is corrupt: ") + ZSTD_getErrorName(rc));
    d.member_done = rc == 0;
    if (out.pos > 0) return out.pos;
  }
}

Result<size_t> LayerStream::read(char* buf, size_t len) {
  if (!detected_) BERTH_TRY(detect());
  if (len == 0) return size_t{0};
  // Never hand out more than one byte past the limit: enough to know it was crossed.
  uint64_t left = max_bytes_ - std::min(total_, max_bytes_);
  size_t want = left >= len ? len : static_cast<size_t>(left) + 1;
  BERTH_ASSIGN(size_t n, decode(buf, want));
  total_ += n;
  if (total_ > max_bytes_) {
    return Error(EFBIG, "the uncompressed layer is larger than the limit of " + std::to_string(max_bytes_) +
                            " bytes (a decompression bomb?)");
  }
  hash_.update(std::string_view(buf, n));
  return n;
}

Result<std::string> LayerStream::finish() {
  std::string buf(size_t{64} * 1024, '\0');
  for (;;) {
    BERTH_ASSIGN(size_t n, read(buf.data(), buf.size()));
    if (n == 0) break;
  }
  return hash_.digest().str();
}

}  // namespace berth::images
