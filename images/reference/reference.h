// Image references in the docker grammar (github.com/distribution/reference): an optional
// domain (with port), slash-separated lowercase path components, an optional tag and an
// optional digest, normalised the way docker does ("busybox" is
// "docker.io/library/busybox"). Pure string work: never resolves anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "images/digest/digest.h"

namespace berth::images {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";
inline constexpr size_t kMaxNameLength = 255;  // domain + "/" + path
inline constexpr size_t kMaxTagLength = 128;

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // "" when none was given
  std::optional<Digest> digest;

  // Parses and normalises: the domain defaults to docker.io, a single docker.io path
  // component gets "library/", "index.docker.io" becomes "docker.io". The tag is left
  // empty when none was given (see with_default_tag). Errors read
  // `invalid reference "Busybox": repository name must be lowercase`.
  static Result<Reference> parse(std::string_view text);
  // parse(), then "latest" when neither a tag nor a digest was given: what `pull` uses.
  static Result<Reference> parse_with_default_tag(std::string_view text);

  // "docker.io/library/busybox"
  [[nodiscard]] std::string name() const;
  // "docker.io/library/busybox:latest@sha256:..." (the parts present).
  [[nodiscard]] std::string str() const;
  // What docker shows: "busybox:latest", "user/app", "localhost:5000/x:1".
  [[nodiscard]] std::string familiar() const;
  [[nodiscard]] std::string familiar_name() const;

  friend bool operator==(const Reference& a, const Reference& b) = default;
};

}  // namespace berth::images
