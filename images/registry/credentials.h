// Registry credentials from a docker-style config.json ($DOCKER_CONFIG/config.json,
// ~/.docker/config.json, or containers' auth.json): "auths" entries with "auth"
// (base64 user:password) or "username"/"password". Credential helpers are not run.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::registry {

struct Credentials {
  std::string username, password;
  [[nodiscard]] std::string basic_header() const;  // "Basic <base64(user:password)>"
};

class CredentialStore {
 public:
  CredentialStore() = default;
  // Parses the file's text; errors name the file and the entry.
  static Result<CredentialStore> parse(std::string_view json, const std::string& file);
  // Reads `file`; a missing file is an empty store.
  static Result<CredentialStore> load(const std::string& file);

  // The credentials for a registry host ("127.0.0.1:5000", "docker.io"), trying the forms
  // docker writes ("https://host", "host/v1/", docker.io's index URL).
  [[nodiscard]] std::optional<Credentials> find(const std::string& registry) const;

 private:
  std::map<std::string, Credentials> by_key_;
};

std::string base64_encode(std::string_view data);
Result<std::string> base64_decode(std::string_view text);

}  // namespace berth::registry
