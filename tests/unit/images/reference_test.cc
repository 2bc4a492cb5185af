#include "images/reference/reference.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::images {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

struct Normalised {
  std::string input;
  std::string full;      // str() after parse_with_default_tag
  std::string familiar;  // familiar() after parse_with_default_tag
};

TEST(Reference, NormalisesLikeDocker) {
  const Normalised table[] = {
      {"busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
      {"library/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"user/app", "docker.io/user/app:latest", "user/app:latest"},
      {"docker.io/user/app:v2", "docker.io/user/app:v2", "user/app:v2"},
      {"docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest"},
      {"localhost/x", "localhost/x:latest", "localhost/x:latest"},
      {"localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x:latest"},
      {"localhost:5000/a/b/c:t", "localhost:5000/a/b/c:t", "localhost:5000/a/b/c:t"},
      {"example.com/foo", "example.com/foo:latest", "example.com/foo:latest"},
      {"Example.COM:443/foo", "Example.COM:443/foo:latest", "Example.COM:443/foo:latest"},
      {"[::1]:5000/foo", "[::1]:5000/foo:latest", "[::1]:5000/foo:latest"},
      {"localhost:5000", "docker.io/library/localhost:5000", "localhost:5000"},
      {"a-b__c--e/f_g.h", "docker.io/a-b__c--e/f_g.h:latest", "a-b__c--e/f_g.h:latest"},
      // A first component with a dot is a domain, and a domain allows no "_".
      {"a.b/c", "a.b/c:latest", "a.b/c:latest"},
      // ...so a docker.io path starting with one keeps its domain in the familiar form.
      {"docker.io/a.b/c", "docker.io/a.b/c:latest", "docker.io/a.b/c:latest"},
      {"docker.io/localhost/c", "docker.io/localhost/c:latest", "docker.io/localhost/c:latest"},
      {"library/" + std::string(64, 'a'), "docker.io/library/" + std::string(64, 'a') + ":latest",
       "library/" + std::string(64, 'a') + ":latest"},
      {"busybox@" + kDigest, "docker.io/library/busybox@" + kDigest, "busybox@" + kDigest},
      {"busybox:1@" + kDigest, "docker.io/library/busybox:1@" + kDigest, "busybox:1@" + kDigest},
  };
  for (const Normalised& n : table) {
    auto ref = Reference::parse_with_default_tag(n.input);
    ASSERT_TRUE(ref.ok()) << n.input << ": " << ref.error().message();
    EXPECT_EQ(ref->str(), n.full) << n.input;
    EXPECT_EQ(ref->familiar(), n.familiar) << n.input;
    // A full reference reads back as itself.
    auto again = Reference::parse(ref->str());
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, *ref) << n.input;
  }
}

TEST(Reference, SplitsIntoParts) {
  auto ref = Reference::parse("registry.example.com:5000/team/app:v1.2@" + kDigest);
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  EXPECT_EQ(ref->domain, "registry.example.com:5000");
  EXPECT_EQ(ref->path, "team/app");
  EXPECT_EQ(ref->tag, "v1.2");
  ASSERT_TRUE(ref->digest.has_value());
  EXPECT_EQ(ref->digest->str(), kDigest);
  EXPECT_EQ(ref->name(), "registry.example.com:5000/team/app");
}

TEST(Reference, LeavesTheTagEmptyUnlessAskedForTheDefault) {
  auto ref = Reference::parse("busybox");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->tag, "");
  EXPECT_EQ(ref->str(), "docker.io/library/busybox");
  auto pinned = Reference::parse_with_default_tag("busybox@" + kDigest);
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->tag, "");
}

struct Invalid {
  std::string input;
  std::string why;
};

TEST(Reference, RefusesInvalidReferencesSayingWhy) {
  const Invalid table[] = {
      {"Busybox", "repository name must be lowercase"},
      {"docker.io/User/app", "repository name must be lowercase"},
      {"", "repository name must have at least one component"},
      {std::string(64, 'b'), "64-byte hexadecimal"},
      {"busybox:", "tag \"\" must be"},
      {"busybox:-x", "tag \"-x\" must be"},
      {"busybox:" + std::string(129, 't'), "must be 1 to 128"},
      {"busybox:a/b", "invalid domain \"busybox:a\""},
      {"a//b", "empty path component"},
      {"a/", "empty path component"},
      {"-abc", "path component \"-abc\""},
      {"abc-", "path component \"abc-\""},
      {"a..b", "path component \"a..b\""},
      {"a___b", "path component \"a___b\""},
      {"foo bar", "path component \"foo bar\""},
      {"exa_mple.com/foo", "invalid domain \"exa_mple.com\""},
      {"-example.com/foo", "invalid domain"},
      {"example.com:port/foo", "invalid domain"},
      {"busybox@sha256:abc", "sha256 needs 64 hex digits"},
      {"busybox@md5:" + std::string(32, 'a'), "unsupported algorithm"},
      {"example.com/" + std::string(250, 'a'), "must not be more than 255 characters"},
  };
  for (const Invalid& c : table) {
    auto ref = Reference::parse(c.input);
    ASSERT_FALSE(ref.ok()) << c.input << " parsed as " << ref->str();
    const std::string& msg = ref.error().message();
    EXPECT_EQ(msg.rfind("invalid reference \"" + c.input + "\": ", 0), 0U) << msg;
    EXPECT_NE(msg.find(c.why), std::string::npos) << msg;
  }
}

TEST(Reference, BusyboxInUppercaseGetsTheDocumentedMessage) {
  auto ref = Reference::parse("Busybox");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().message(), "invalid reference \"Busybox\": repository name must be lowercase");
}

TEST(Reference, AcceptsNamesUpToTheLengthLimit) {
  std::string path(kMaxNameLength - std::string("example.com/").size(), 'a');
  auto ref = Reference::parse("example.com/" + path);
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  EXPECT_EQ(ref->name().size(), kMaxNameLength);
  auto tag = Reference::parse("busybox:" + std::string(kMaxTagLength, 't'));
  EXPECT_TRUE(tag.ok());
}

}  // namespace
}  // namespace berth::images
