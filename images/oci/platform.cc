#include "images/oci/platform.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "common/strings.h"

namespace berth::images {
namespace {

// "7" -> 7, "v7" -> 7; -1 when not a version number.
int variant_number(std::string_view variant) {
  if (starts_with(variant, "v")) variant.remove_prefix(1);
  auto n = parse_uint(variant);
  return n && *n < 1000 ? static_cast<int>(*n) : -1;
}

Platform with_arch(const Platform& base, std::string architecture, std::string variant) {
  Platform p = base;
  p.architecture = std::move(architecture);
  p.variant = std::move(variant);
  return p;
}

void add_arm_family(const Platform& base, int from, std::vector<Platform>& out) {
  for (int v = from; v >= 5; --v) out.push_back(with_arch(base, "arm", "v" + std::to_string(v)));
}

bool matches(const Platform& have, const Platform& want) {
  return have.os == want.os && have.architecture == want.architecture && have.variant == want.variant;
}

}  // namespace

Platform normalize_platform(Platform p) {
  p.os = ascii_lower(p.os);
  if (p.os == "macos") p.os = "darwin";
  p.architecture = ascii_lower(p.architecture);
  p.variant = ascii_lower(p.variant);
  if (variant_number(p.variant) >= 0 && !starts_with(p.variant, "v")) p.variant = "v" + p.variant;
  const std::string& a = p.architecture;
  if (a == "i386" || a == "i686") {
    p.architecture = "386";
    p.variant.clear();
  } else if (a == "x86_64" || a == "x86-64" || a == "amd64") {
    p.architecture = "amd64";
    if (p.variant == "v1") p.variant.clear();
  } else if (a == "aarch64" || a == "arm64") {
    p.architecture = "arm64";
    if (p.variant == "v8") p.variant.clear();
  } else if (a == "armhf") {
    p.architecture = "arm";
    p.variant = "v7";
  } else if (a == "armel") {
    p.architecture = "arm";
    p.variant = "v6";
  } else if (a == "arm" && p.variant.empty()) {
    p.variant = "v7";
  }
  return p;
}

Result<Platform> parse_platform_spec(std::string_view spec) {
  auto parts = split(spec, '/');
  Platform p;
  if (parts.size() == 1) {
    p.os = "linux";
    p.architecture = parts[0];
  } else if (parts.size() == 2 || parts.size() == 3) {
    p.os = parts[0];
    p.architecture = parts[1];
    if (parts.size() == 3) p.variant = parts[2];
  }
  if (p.os.empty() || p.architecture.empty() || (parts.size() == 3 && p.variant.empty())) {
    return Error(EINVAL, "invalid platform \"" + std::string(spec) + "\": expected os/architecture[/variant]");
  }
  return normalize_platform(std::move(p));
}

Platform host_platform() {
  Platform p{.os = "linux", .architecture = "amd64"};
  struct utsname u {};
  if (::uname(&u) != 0) return p;
  std::string machine = u.machine;
  if (machine == "armv6l") {
    p.architecture = "arm";
    p.variant = "v6";
  } else if (machine == "armv7l" || machine == "armv8l") {
    p.architecture = "arm";
    p.variant = machine == "armv7l" ? "v7" : "v8";
  } else if (!machine.empty()) {
    p.architecture = machine;
  }
  return normalize_platform(std::move(p));
}

std::vector<Platform> compatible_platforms(const Platform& want_raw) {
  Platform want = normalize_platform(want_raw);
  std::vector<Platform> out = {want};
  if (want.architecture == "arm") {
    int v = variant_number(want.variant);
    if (v > 5) add_arm_family(want, v - 1, out);
  } else if (want.architecture == "arm64") {
    int v = want.variant.empty() ? 8 : variant_number(want.variant);
    if (v >= 5) add_arm_family(want, std::min(v, 8), out);
  } else if (want.architecture == "amd64") {
    int v = variant_number(want.variant);
    for (--v; v >= 2; --v) out.push_back(with_arch(want, "amd64", "v" + std::to_string(v)));
    if (!want.variant.empty()) out.push_back(with_arch(want, "amd64", ""));
    out.push_back(with_arch(want, "386", ""));
  }
  return out;
}

Result<Descriptor> select_manifest(const Index& index, const Platform& want) {
  for (const Platform& candidate : compatible_platforms(want)) {
    for (const Descriptor& d : index.manifests) {
      if (!d.platform || !is_manifest_media_type(d.media_type)) continue;
      if (matches(normalize_platform(*d.platform), candidate)) return d;
    }
  }
  std::string have;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform) continue;
    if (!have.empty()) have += ", ";
    have += normalize_platform(*d.platform).str();
  }
  return Error(ENOENT, "no manifest for " + normalize_platform(want).str() + " in the index (it has " +
                           (have.empty() ? std::string("no platforms") : have) + ")");
}

}  // namespace berth::images
