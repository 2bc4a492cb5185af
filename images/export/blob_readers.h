// The bytes an export copies out of the content store, checked as they stream by: a stored
// blob must still hash to its digest, and a layer decompressed for a docker-archive must hash
// to its diff_id. The check runs when the last byte has been read, so a mismatch fails the
// export (whose staged output is then discarded) instead of writing a wrong image.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images {

// The stored blob `digest`, which must be `size` bytes.
Result<ByteReader> verified_blob_reader(const ContentStore& store, const Digest& digest, uint64_t size);

// The layer's tar stream, uncompressed (gzip, zstd or plain, told by its magic bytes).
Result<ByteReader> uncompressed_layer_reader(const ContentStore& store, const LayerRecord& layer);

}  // namespace berth::images
