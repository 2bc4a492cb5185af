// Content digests as OCI descriptors write them ("sha256:<64 hex>"), and streaming hashers
// over OpenSSL's EVP interface. A Digest is always valid once parsed: lowercase hex of the
// algorithm's exact length, so it is safe to use as a file name. Never touches the disk.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

#include "common/result.h"

namespace berth::images {

enum class DigestAlgorithm { kSha256, kSha512 };

// "sha256" or "sha512".
std::string_view algorithm_name(DigestAlgorithm algorithm);

class Digest {
 public:
  // An empty digest (str() == ""): only a placeholder for records and containers.
  Digest() = default;

  // "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>"; anything else is refused
  // with a message that says what is wrong.
  static Result<Digest> parse(std::string_view text);
  // The digest of `data` (sha256 unless told).
  static Digest of(std::string_view data, DigestAlgorithm algorithm = DigestAlgorithm::kSha256);

  [[nodiscard]] bool empty() const { return hex_.empty(); }
  [[nodiscard]] DigestAlgorithm algorithm() const { return algorithm_; }
  [[nodiscard]] const std::string& hex() const { return hex_; }
  // "sha256:<hex>", or "" for an empty digest.
  [[nodiscard]] std::string str() const;
  // The first 12 hex digits: for messages and listings.
  [[nodiscard]] std::string short_hex() const { return hex_.substr(0, 12); }

  friend bool operator==(const Digest& a, const Digest& b) = default;
  // An order for sets and maps: by algorithm, then hex.
  friend bool operator<(const Digest& a, const Digest& b) {
    return std::tie(a.algorithm_, a.hex_) < std::tie(b.algorithm_, b.hex_);
  }

 private:
  Digest(DigestAlgorithm algorithm, std::string hex) : algorithm_(algorithm), hex_(std::move(hex)) {}
  friend class Hasher;

  DigestAlgorithm algorithm_ = DigestAlgorithm::kSha256;
  std::string hex_;
};

// Hashes a stream piece by piece: update() as the bytes go by, digest() at the end.
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm algorithm = DigestAlgorithm::kSha256);
  ~Hasher();
  Hasher(Hasher&& other) noexcept;
  Hasher& operator=(Hasher&& other) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::string_view data);
  // The digest of everything given so far; the hasher then starts over.
  Digest digest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  DigestAlgorithm algorithm_;
};

// Reads `fd` from its current offset to the end and returns the digest of what was read.
Result<Digest> digest_fd(int fd, DigestAlgorithm algorithm = DigestAlgorithm::kSha256);

}  // namespace berth::images
