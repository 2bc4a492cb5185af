// libFuzzer target: any string through the image reference parser must end in a reference
// or an error, never a crash. A reference that parses must be stable: its normalised form
// and its familiar form parse back to the same reference.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "images/reference/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using berth::images::Reference;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ref = Reference::parse(text);
  (void)Reference::parse_with_default_tag(text);
  if (!ref) return 0;
  auto normalised = Reference::parse(ref->str());
  if (!normalised || !(*normalised == *ref)) std::abort();
  auto familiar = Reference::parse(ref->familiar());
  if (!familiar || !(*familiar == *ref)) std::abort();
  return 0;
}
