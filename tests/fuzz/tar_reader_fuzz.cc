// libFuzzer target: any byte string through layer decompression and the tar reader must
// end in entries or an error, never a crash, a hang or unbounded memory. A sparse entry the
// reader accepts must have a map the unpacker can trust: segments in order, inside the
// file's size, adding up to the bytes read_data yields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "images/unpack/layer_stream.h"
#include "images/unpack/tar_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::images;
  StringSource source(std::string(reinterpret_cast<const char*>(data), size));
  LayerStream stream(source, 64ULL << 20);
  TarReader reader(stream, TarLimits{.max_header_bytes = 1 << 20});
  char buf[4096];
  for (int entries = 0; entries < 10000; ++entries) {
    auto e = reader.next();
    if (!e || !*e) break;
    uint64_t data = 0;
    bool complete = false;
    for (;;) {
      auto n = reader.read_data(buf, sizeof buf);
      if (!n) break;
      if (*n == 0) {
        complete = true;
        break;
      }
      data += *n;
    }
    if (!(*e)->sparse) continue;
    uint64_t end = 0;
    uint64_t mapped = 0;
    for (const SparseSegment& s : *(*e)->sparse) {
      if (s.offset < end || s.offset > (*e)->size || s.length > (*e)->size - s.offset) std::abort();
      end = s.offset + s.length;
      mapped += s.length;
    }
    if (complete && mapped != data) std::abort();
  }
  (void)stream.finish();
  return 0;
}
