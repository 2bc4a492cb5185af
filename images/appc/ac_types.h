// The AppC schema's small types (appc spec, types.md): AC Identifier (image names, label
// names), AC Name (ports, mount points, annotations), labels, and image IDs
// ("sha512-<hex>" of the uncompressed tar) with the truncated forms accepted when matching.
// Pure functions: no I/O.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "images/digest/digest.h"

namespace berth::images::appc {

// ^[a-z0-9]+([-._~/][a-z0-9]+)*$ : image names, label and isolator names.
bool is_ac_identifier(std::string_view s);
// ^[a-z0-9]+([-][a-z0-9]+)*$ : port, mount point and app names.
bool is_ac_name(std::string_view s);

// Errors say what `field` holds and which rule it breaks.
Status check_ac_identifier(std::string_view field, std::string_view value);
Status check_ac_name(std::string_view field, std::string_view value);

// Label name -> value ("version", "os", "arch" and any others).
using Labels = std::map<std::string, std::string>;

// A dependency's (or a query's) labels match an image's when each one the query names is
// present with the same value; labels the query leaves out match anything.
bool labels_match(const Labels& wanted, const Labels& image);

// Shortest accepted truncation of an image ID's hex, as rkt allows short IDs in listings.
inline constexpr size_t kMinImageIdHex = 12;

// "sha512-<hex>" for a sha512 digest.
std::string image_id(const Digest& sha512);

// An image ID as a user or a dependency writes it: "sha512-" and 12 to 128 lowercase hex
// digits (a prefix of the full hash). Returns the hex part.
Result<std::string> parse_image_id(std::string_view text);

// Whether `query` (a possibly truncated image ID, already parsed) names `id`.
bool image_id_matches(std::string_view query_hex, const Digest& id);

}  // namespace berth::images::appc
