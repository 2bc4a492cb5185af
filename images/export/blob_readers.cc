#include "images/export/blob_readers.h"

#include <cerrno>
#include <memory>

#include "images/unpack/layer_stream.h"

namespace berth::images {
namespace {

// A docker-archive layer is as large as its uncompressed tar; this only stops a bomb.
constexpr uint64_t kMaxUncompressedLayer = uint64_t{1} << 40;

struct VerifiedBlob {
  UniqueFd fd;
  ByteReader range;
  Hasher hasher;
  Digest expected;
};

struct UncompressedLayer {
  explicit UncompressedLayer(UniqueFd blob, Digest want)
      : fd(std::move(blob)), source(fd.get()), stream(source, kMaxUncompressedLayer), diff_id(std::move(want)) {}
  UniqueFd fd;
  FdSource source;
  LayerStream stream;
  Digest diff_id;
};

}  // namespace

Result<ByteReader> verified_blob_reader(const ContentStore& store, const Digest& digest, uint64_t size) {
  BERTH_ASSIGN(uint64_t stored, store.blob_size(digest));
  if (stored != size) {
    return Error(EIO, "blob " + digest.str() + " has " + std::to_string(stored) + " bytes in the store, not " +
                          std::to_string(size));
  }
  BERTH_ASSIGN(UniqueFd fd, store.open_blob(digest));
  auto blob = std::make_shared<VerifiedBlob>();
  blob->range = fd_range_reader(fd.get(), 0, size);
  blob->fd = std::move(fd);
  blob->hasher = Hasher(digest.algorithm());
  blob->expected = digest;
  return ByteReader([blob](char* buf, size_t len) -> Result<size_t> {
    BERTH_ASSIGN(size_t n, blob->range(buf, len).context("blob " + blob->expected.str()));
    if (n > 0) {
      blob->hasher.update(std::string_view(buf, n));
      return n;
    }
    Digest actual = blob->hasher.digest();
    if (actual != blob->expected) {
      return Error(EIO, "blob " + blob->expected.str() + " in the store now hashes to " + actual.str());
    }
    return size_t{0};
  });
}

Result<ByteReader> uncompressed_layer_reader(const ContentStore& store, const LayerRecord& layer) {
  BERTH_ASSIGN(UniqueFd fd, store.open_blob(layer.digest));
  auto state = std::make_shared<UncompressedLayer>(std::move(fd), layer.diff_id);
  std::string what = "layer " + layer.digest.str();
  return ByteReader([state, what](char* buf, size_t len) -> Result<size_t> {
    BERTH_ASSIGN(size_t n, state->stream.read(buf, len).context(what));
    if (n > 0) return n;
    BERTH_ASSIGN(std::string actual, state->stream.finish().context(what));
    if (actual != state->diff_id.str()) {
      return Error(EIO, what + " uncompresses to " + actual + ", not to its diff_id " + state->diff_id.str());
    }
    return size_t{0};
  });
}

}  // namespace berth::images
