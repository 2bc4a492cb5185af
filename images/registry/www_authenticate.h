// The registry's WWW-Authenticate challenge (RFC 7235): which scheme it wants (Bearer with a
// token realm, service and scope, or Basic) and its parameters. Parsing only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace berth::registry {

struct Challenge {
  std::string scheme;                         // "bearer" or "basic", lower case
  std::map<std::string, std::string> params;  // names in lower case: realm, service, scope
};

// The first Bearer or Basic challenge in the header's value; nullopt when there is none.
std::optional<Challenge> parse_www_authenticate(std::string_view header);

}  // namespace berth::registry
