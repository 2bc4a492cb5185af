// The file trees of image_pull_bench's multi-layer image, generated deterministically (a
// fixed-seed PRNG, no clock, no host data) so every run and every machine pulls the same
// bytes: many small text files (documentation, Python sources) and some large binary-like
// files, with roughly the compressibility real images have. Bench code only.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace berth::bench {

inline constexpr int kGeneratedLayers = 4;

struct TreeStats {
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// Writes layer `layer` (1..kGeneratedLayers) of the generated image under the existing,
// empty directory `dir`.
Result<TreeStats> generate_layer_tree(const std::string& dir, int layer);

}  // namespace berth::bench
