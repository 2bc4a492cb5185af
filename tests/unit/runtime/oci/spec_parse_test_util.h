// Helpers shared by the config.json parser tests: build small specs around one section
// and read back the error a parse gives.
#pragma once

#include <string>
#include <string_view>

#include "runtime/oci/spec.h"

namespace berth::oci::spec_test {

// The message of the error parse_spec gives, or "" when it parses.
inline std::string spec_error(std::string_view json) {
  auto spec = parse_spec(json);
  return spec.ok() ? std::string() : spec.error().message();
}

// A minimal valid spec with `process` as its process section.
inline std::string with_process(std::string_view process) {
  return std::string(R"({"ociVersion": "1.2.0", "process": )") + std::string(process) + "}";
}

// A minimal valid spec with `linux` as its linux section.
inline std::string with_linux(std::string_view linux_json) {
  return std::string(R"({"ociVersion": "1.2.0", "linux": )") + std::string(linux_json) + "}";
}

}  // namespace berth::oci::spec_test
