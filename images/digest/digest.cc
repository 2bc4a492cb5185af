#include "images/digest/digest.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <exception>

#include "common/strings.h"

namespace berth::images {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

size_t hex_length(DigestAlgorithm algorithm) { return algorithm == DigestAlgorithm::kSha256 ? 64 : 128; }

const EVP_MD* evp_md(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha256 ? EVP_sha256() : EVP_sha512();
}

Error invalid(std::string_view text, std::string_view problem) {
  return Error(EINVAL, "invalid digest \"" + std::string(text) + "\": " + std::string(problem));
}

}  // namespace

std::string_view algorithm_name(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha256 ? "sha256" : "sha512";
}

Result<Digest> Digest::parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return invalid(text, "expected <algorithm>:<hex>");
  std::string_view name = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  DigestAlgorithm algorithm{};
  if (name == "sha256") {
    algorithm = DigestAlgorithm::kSha256;
  } else if (name == "sha512") {
    algorithm = DigestAlgorithm::kSha512;
  } else {
    return invalid(text, "unsupported algorithm \"" + std::string(name) + "\" (sha256 or sha512)");
  }
  if (hex.size() != hex_length(algorithm)) {
    return invalid(text, std::string(name) + " needs " + std::to_string(hex_length(algorithm)) + " hex digits, got " +
                             std::to_string(hex.size()));
  }
  for (char c : hex) {
    if (kHexDigits.find(c) == std::string_view::npos) return invalid(text, "hex digits must be 0-9 a-f");
  }
  return Digest(algorithm, std::string(hex));
}

Digest Digest::of(std::string_view data, DigestAlgorithm algorithm) {
  Hasher hasher(algorithm);
  hasher.update(data);
  return hasher.digest();
}

std::string Digest::str() const {
  if (hex_.empty()) return {};
  return std::string(algorithm_name(algorithm_)) + ":" + hex_;
}

struct Hasher::Context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  Context(Context&&) = delete;
  Context& operator=(Context&&) = delete;
  explicit Context(DigestAlgorithm algorithm) {
    // Only allocation failure can get here: nothing sensible is left to do.
    if (ctx == nullptr || EVP_DigestInit_ex(ctx, evp_md(algorithm), nullptr) != 1) std::terminate();
  }
  ~Context() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(DigestAlgorithm algorithm) : context_(std::make_unique<Context>(algorithm)), algorithm_(algorithm) {}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&& other) noexcept = default;
Hasher& Hasher::operator=(Hasher&& other) noexcept = default;

void Hasher::update(std::string_view data) {
  if (data.empty()) return;
  if (EVP_DigestUpdate(context_->ctx, data.data(), data.size()) != 1) std::terminate();
}

Digest Hasher::digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(context_->ctx, md.data(), &len) != 1) std::terminate();
  if (EVP_DigestInit_ex(context_->ctx, evp_md(algorithm_), nullptr) != 1) std::terminate();
  return {algorithm_, hex_encode(std::span(md.data(), len))};
}

Result<Digest> digest_fd(int fd, DigestAlgorithm algorithm) {
  Hasher hasher(algorithm);
  std::array<char, size_t{64} * 1024> buf{};
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("read");
    if (n == 0) break;
    hasher.update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  return hasher.digest();
}

}  // namespace berth::images
