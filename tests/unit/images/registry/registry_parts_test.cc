// The registry client's small parts: URLs, WWW-Authenticate challenges, docker-style
// credentials and where a registry's content is fetched from (mirrors, loopback over HTTP).
#include <gtest/gtest.h>

#include "images/registry/credentials.h"
#include "images/registry/registry_endpoints.h"
#include "images/registry/url.h"
#include "images/registry/www_authenticate.h"

namespace berth::registry {
namespace {

TEST(RegistryUrl, PartsAndDefaultsAreRead) {
  auto u = Url::parse("https://registry-1.docker.io/v2/");
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u->host, "registry-1.docker.io");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/v2/");
  auto v6 = Url::parse("http://[::1]:5000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_port(), "[::1]:5000");
  EXPECT_EQ(v6->target, "/");
  auto moved = u->resolve("https://cdn.example/blob?sig=1");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->str(), "https://cdn.example:443/blob?sig=1");
  EXPECT_EQ(u->resolve("/token")->str(), "https://registry-1.docker.io:443/token");
}

TEST(RegistryUrl, BadUrlsSayWhatIsWrong) {
  EXPECT_EQ(Url::parse("registry:5000").error().message(),
            "invalid URL \"registry:5000\": no scheme (http:// or https://)");
  EXPECT_EQ(Url::parse("ftp://x/").error().message(), "invalid URL \"ftp://x/\": the scheme must be http or https");
  EXPECT_NE(Url::parse("http://h:99999/").error().message().find("port must be a number"), std::string::npos);
  EXPECT_NE(Url::parse("http://u:p@h/").error().message().find("credentials in the URL"), std::string::npos);
  EXPECT_EQ(url_encode("repository:library/busybox:pull"), "repository%3Alibrary%2Fbusybox%3Apull");
}

TEST(WwwAuthenticate, BearerAndBasicChallengesAreRead) {
  auto bearer = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->scheme, "bearer");
  EXPECT_EQ(bearer->params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(bearer->params.at("scope"), "repository:library/busybox:pull");
  auto basic = parse_www_authenticate(R"(Basic realm="berth \"test\"")");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_EQ(basic->params.at("realm"), "berth \"test\"");
  auto second = parse_www_authenticate(R"(Negotiate abc, Basic realm=x)");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->scheme, "basic");
  EXPECT_FALSE(parse_www_authenticate("Negotiate"));
  EXPECT_FALSE(parse_www_authenticate(""));
}

TEST(RegistryCredentials, DockerConfigEntriesAreFoundUnderEveryKeyForm) {
  auto store = CredentialStore::parse(R"({"auths": {
      "127.0.0.1:5000": {"auth": ")" + base64_encode("alice:s3cr:et") +
                                          R"("},
      "https://index.docker.io/v1/": {"username": "bob", "password": "pw"},
      "helper.example": {"identitytoken": "t"}}})",
                                      "config.json");
  ASSERT_TRUE(store) << store.error().message();
  auto alice = store->find("127.0.0.1:5000");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->username, "alice");
  EXPECT_EQ(alice->password, "s3cr:et");
  EXPECT_EQ(alice->basic_header(), "Basic " + base64_encode("alice:s3cr:et"));
  ASSERT_TRUE(store->find("docker.io"));
  EXPECT_EQ(store->find("docker.io")->username, "bob");
  EXPECT_FALSE(store->find("helper.example")) << "identity tokens are not a user and password";
  EXPECT_FALSE(store->find("other.example"));
  auto bad = CredentialStore::parse(R"({"auths": {"h": {"auth": "bm9jb2xvbg=="}}})", "/root/.docker/config.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("must be base64 of user:password"), std::string::npos);
  EXPECT_EQ(base64_decode(base64_encode("a")).value(), "a");
  EXPECT_EQ(base64_decode(base64_encode("ab")).value(), "ab");
}

TEST(RegistryEndpoints, MirrorsComeFirstAndKeepTheRepositoryPath) {
  std::map<std::string, RegistryHostConfig> config;
  config["registry.k8s.io"].mirrors = {"http://127.0.0.1:5000", "mirror.example"};
  auto e = endpoints_for("registry.k8s.io", config);
  ASSERT_TRUE(e) << e.error().message();
  ASSERT_EQ(e->size(), 3U);
  EXPECT_EQ((*e)[0].base.str(), "http://127.0.0.1:5000/");
  EXPECT_TRUE((*e)[0].mirror);
  EXPECT_EQ((*e)[1].base.str(), "https://mirror.example:443/");
  EXPECT_EQ((*e)[2].base.str(), "https://registry.k8s.io:443/");
  EXPECT_FALSE((*e)[2].mirror);
}

TEST(RegistryEndpoints, DockerHubLoopbackAndPlainHttpRegistries) {
  std::map<std::string, RegistryHostConfig> config;
  config["registry.lan:5000"].plain_http = true;
  EXPECT_EQ(endpoints_for("docker.io", config)->front().base.str(), "https://registry-1.docker.io:443/");
  EXPECT_EQ(endpoints_for("127.0.0.1:5000", config)->front().base.str(), "http://127.0.0.1:5000/");
  EXPECT_EQ(endpoints_for("localhost:5000", config)->front().base.str(), "http://localhost:5000/");
  EXPECT_EQ(endpoints_for("[::1]:5000", config)->front().base.str(), "http://[::1]:5000/");
  EXPECT_EQ(endpoints_for("registry.lan:5000", config)->front().base.str(), "http://registry.lan:5000/");
  EXPECT_EQ(endpoints_for("registry.lan", config)->front().base.str(), "https://registry.lan:443/");
  EXPECT_TRUE(is_loopback_host("127.3.4.5"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
}

}  // namespace
}  // namespace berth::registry
