// Choosing an image for this machine from a multi-platform index: platform names are
// normalised the way containerd does (x86_64 is amd64, aarch64 is arm64, arm defaults to
// v7), and an arm machine also runs older arm variants, best match first.
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "images/oci/descriptor.h"
#include "images/oci/manifest.h"

namespace berth::images {

// os and architecture lowercased and de-aliased; arm without a variant is v7, arm64's v8
// is implied (dropped), numeric variants get their "v".
Platform normalize_platform(Platform platform);

// "linux/amd64", "linux/arm/v7", "arm64" (os defaults to linux).
Result<Platform> parse_platform_spec(std::string_view spec);

// The machine berth runs on (from uname), normalised; linux/amd64 when unknown.
Platform host_platform();

// The platforms `want` can run, best first: itself, then older variants of the same
// family (arm/v8 runs v7, v6, v5; arm64 runs arm v8..v5; amd64 runs 386).
std::vector<Platform> compatible_platforms(const Platform& want);

// The manifest of `index` for `want`: the best compatible platform wins, and among equals
// the first in the index. Descriptors without a platform or that are not manifests are
// passed over. The error lists the platforms the index has.
Result<Descriptor> select_manifest(const Index& index, const Platform& want);

}  // namespace berth::images
