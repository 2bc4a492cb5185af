#include "images/registry/credentials.h"

#include <openssl/evp.h>

#include <vector>

#include "common/file.h"
#include "common/json.h"

namespace berth::registry {

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return Error(EINVAL, "not base64: its length is not a multiple of 4");
  std::string out(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return Error(EINVAL, "not base64");
  // EVP_DecodeBlock counts the padding as zero bytes.
  auto size = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  out.resize(size);
  return out;
}

std::string Credentials::basic_header() const { return "Basic " + base64_encode(username + ":" + password); }

Result<CredentialStore> CredentialStore::parse(std::string_view json, const std::string& file) {
  BERTH_ASSIGN(auto doc, JsonDocument::parse(json, file));
  JsonNode root(doc);
  CredentialStore store;
  auto auths = root.field("auths");
  if (!auths) return store;
  BERTH_ASSIGN(auto entries, auths->as_object());
  for (const auto& [key, entry] : entries) {
    Credentials c;
    if (auto auth = entry.field("auth")) {
      BERTH_ASSIGN(auto encoded, auth->as_string());
      auto decoded = base64_decode(encoded);
      const auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) return auth->error("must be base64 of user:password").context(file);
      c.username = decoded->substr(0, colon);
      c.password = decoded->substr(colon + 1);
    } else {
      auto user = entry.field("username");
      auto pass = entry.field("password");
      if (!user || !pass) continue;  // an identity token or a helper's entry: not ours to use
      BERTH_ASSIGN(c.username, user->as_string());
      BERTH_ASSIGN(c.password, pass->as_string());
    }
    store.by_key_.emplace(key, std::move(c));
  }
  return store;
}

Result<CredentialStore> CredentialStore::load(const std::string& file) {
  auto text = read_file(file);
  if (!text) {
    if (text.error().code() == ENOENT) return CredentialStore{};
    return std::move(text).error();
  }
  return parse(*text, file);
}

std::optional<Credentials> CredentialStore::find(const std::string& registry) const {
  std::vector<std::string> keys = {registry, "https://" + registry, "http://" + registry, registry + "/v1/",
                                   "https://" + registry + "/v1/"};
  if (registry == "docker.io" || registry == "registry-1.docker.io") {
    keys.emplace_back("https://index.docker.io/v1/");
    keys.emplace_back("index.docker.io");
  }
  for (const auto& k : keys) {
    auto it = by_key_.find(k);
    if (it != by_key_.end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace berth::registry
