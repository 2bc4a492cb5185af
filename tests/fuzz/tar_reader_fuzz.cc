// libFuzzer target: any byte string through layer decompression and the tar reader must
// end in entries or an error, never a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
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
    for (;;) {
      auto n = reader.read_data(buf, sizeof buf);
      if (!n || *n == 0) break;
    }
  }
  (void)stream.finish();
  return 0;
}
