// Deterministic content: splitmix64 (its output is fixed by its definition, unlike the
// standard library's distributions), a made-up vocabulary for text, and binary-like blocks
// that mix incompressible, low-entropy and text bytes (gzip -6 makes them ~2x smaller).
#include "bench/image_tree_gen.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

#include "common/file.h"

namespace berth::bench {
namespace {

class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
  }
  // In [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }

 private:
  uint64_t state_;
};

class Content {
 public:
  explicit Content(uint64_t seed) : prng_(seed) {
    Prng words(0xB0C4B);  // one vocabulary for every layer
    for (int i = 0; i < 2048; ++i) {
      std::string w;
      const uint64_t len = words.between(2, 11);
      for (uint64_t j = 0; j < len; ++j) w += static_cast<char>('a' + words.next() % 26);
      vocabulary_.push_back(std::move(w));
    }
  }

  Prng& prng() { return prng_; }

  void text(std::string& out, size_t size) {
    while (out.size() < size) {
      out += vocabulary_[prng_.next() % vocabulary_.size()];
      out += prng_.next() % 12 == 0 ? '\n' : ' ';
    }
    out.resize(size);
  }

  // 4 KiB blocks: 20% random, 40% drawn from four byte values, 40% text.
  void binary(std::string& out, size_t size) {
    constexpr size_t kBlock = 4096;
    constexpr std::array<char, 4> kFew = {'\0', '\x48', '\x89', '\xff'};
    while (out.size() < size) {
      const uint64_t kind = prng_.next() % 10;
      const size_t start = out.size();
      if (kind < 2) {
        for (size_t i = 0; i < kBlock; i += 8) {
          const uint64_t v = prng_.next();
          out.append(reinterpret_cast<const char*>(&v), 8);
        }
      } else if (kind < 6) {
        for (size_t i = 0; i < kBlock; i += 32) {
          uint64_t v = prng_.next();
          for (int j = 0; j < 32; ++j, v >>= 2U) out += kFew[v & 3U];
        }
      } else {
        text(out, start + kBlock);
      }
    }
    out.resize(size);
  }

 private:
  Prng prng_;
  std::vector<std::string> vocabulary_;
};

class TreeWriter {
 public:
  TreeWriter(std::string root, uint64_t seed) : root_(std::move(root)), content_(seed) {}

  Content& content() { return content_; }

  Status file(const std::string& rel, bool binary, size_t size) {
    std::string data;
    data.reserve(size);
    if (binary) {
      content_.binary(data, size);
    } else {
      content_.text(data, size);
    }
    const std::string path = path_join(root_, rel);
    BERTH_TRY(mkdir_p(dirname_of(path), 0755));
    BERTH_TRY(write_file(path, data, binary ? 0755 : 0644));
    ++stats_.files;
    stats_.bytes += size;
    return ok();
  }

  // `count` text files of lo..hi bytes spread over count/per_dir directories under `base`.
  Status text_files(const std::string& base, const char* ext, int count, int per_dir, size_t lo, size_t hi) {
    for (int i = 0; i < count; ++i) {
      const std::string rel = base + "/pkg" + std::to_string(i / per_dir) + "/mod" + std::to_string(i % per_dir) + ext;
      BERTH_TRY(file(rel, false, content_.prng().between(lo, hi)));
    }
    return ok();
  }

  Status binary_files(const std::string& base, int count, size_t lo, size_t hi) {
    for (int i = 0; i < count; ++i) {
      BERTH_TRY(file(base + "/lib" + std::to_string(i) + ".so", true, content_.prng().between(lo, hi)));
    }
    return ok();
  }

  Status symlinks(const std::string& base, int count, const std::string& target_dir) {
    BERTH_TRY(mkdir_p(path_join(root_, base), 0755));
    for (int i = 0; i < count; ++i) {
      const std::string link = path_join(path_join(root_, base), "link" + std::to_string(i));
      const std::string target = target_dir + "/lib" + std::to_string(i % 40) + ".so";
      if (::symlink(target.c_str(), link.c_str()) != 0) return Error::from_errno("symlink " + link);
    }
    return ok();
  }

  [[nodiscard]] TreeStats stats() const { return stats_; }

 private:
  std::string root_;
  Content content_;
  TreeStats stats_;
};

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * kKiB;

}  // namespace

Result<TreeStats> generate_layer_tree(const std::string& dir, int layer) {
  TreeWriter w(dir, 0x5EED0000ULL + static_cast<uint64_t>(layer));
  switch (layer) {
    case 1:  // documentation: many small text files
      BERTH_TRY(w.text_files("usr/share/doc", ".txt", 3000, 12, 200, 16 * kKiB));
      break;
    case 2:  // shared libraries and their headers
      BERTH_TRY(w.binary_files("usr/lib/x86_64-linux-gnu", 60, 256 * kKiB, 3 * kMiB));
      BERTH_TRY(w.text_files("usr/include", ".h", 1500, 25, 500, 24 * kKiB));
      BERTH_TRY(w.symlinks("usr/lib/compat", 120, "/usr/lib/x86_64-linux-gnu"));
      break;
    case 3:  // an application: two large binaries and a large, compressible data file
      BERTH_TRY(w.file("opt/app/bin/server", true, 48 * kMiB));
      BERTH_TRY(w.file("opt/app/bin/worker", true, 40 * kMiB));
      BERTH_TRY(w.file("opt/app/share/corpus.txt", false, 16 * kMiB));
      break;
    case 4:  // a Python environment: many small sources in many directories
      BERTH_TRY(w.text_files("usr/lib/python3/site-packages", ".py", 6000, 10, 300, 8 * kKiB));
      break;
    default: return Error(EINVAL, "generate layer " + std::to_string(layer) + ": there are layers 1..4");
  }
  return w.stats();
}

}  // namespace berth::bench
