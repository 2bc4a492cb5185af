#include "images/digest/digest.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::images {
namespace {

// printf 'hello' | sha256sum / sha512sum
constexpr std::string_view kHelloSha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
constexpr std::string_view kHelloSha512 =
    "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e"
    "5c3adef46f73bcdec043";
// printf '' | sha256sum
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Digest, ParsesSha256AndSha512) {
  auto d = Digest::parse("sha256:" + std::string(kHelloSha256));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->algorithm(), DigestAlgorithm::kSha256);
  EXPECT_EQ(d->hex(), kHelloSha256);
  EXPECT_EQ(d->str(), "sha256:" + std::string(kHelloSha256));
  EXPECT_EQ(d->short_hex(), "2cf24dba5fb0");

  auto e = Digest::parse("sha512:" + std::string(kHelloSha512));
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->algorithm(), DigestAlgorithm::kSha512);
}

TEST(Digest, RefusesMalformedDigestsSayingWhy) {
  struct Case {
    std::string text;
    std::string why;
  };
  const Case cases[] = {
      {"", "expected <algorithm>:<hex>"},
      {std::string(kHelloSha256), "expected <algorithm>:<hex>"},
      {"md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm \"md5\""},
      {"sha256:abc", "sha256 needs 64 hex digits, got 3"},
      {"sha512:" + std::string(kHelloSha256), "sha512 needs 128 hex digits, got 64"},
      {"SHA256:" + std::string(kHelloSha256), "unsupported algorithm"},
      {"sha256:" + std::string(63, 'a') + "G", "hex digits must be 0-9 a-f"},
      {"sha256:" + std::string(63, 'a') + "A", "hex digits must be 0-9 a-f"},
  };
  for (const Case& c : cases) {
    auto d = Digest::parse(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_NE(d.error().message().find("invalid digest \"" + c.text + "\""), std::string::npos) << d.error().message();
    EXPECT_NE(d.error().message().find(c.why), std::string::npos) << d.error().message();
  }
}

TEST(Digest, HashesLikeSha256sum) {
  EXPECT_EQ(Digest::of("hello").hex(), kHelloSha256);
  EXPECT_EQ(Digest::of("").hex(), kEmptySha256);
  EXPECT_EQ(Digest::of("hello", DigestAlgorithm::kSha512).hex(), kHelloSha512);
}

TEST(Digest, StreamingHashEqualsOneShotHash) {
  Hasher hasher;
  hasher.update("he");
  hasher.update("");
  hasher.update("llo");
  EXPECT_EQ(hasher.digest(), Digest::of("hello"));
  // After digest() the hasher starts over.
  hasher.update("hello");
  EXPECT_EQ(hasher.digest().hex(), kHelloSha256);
}

TEST(Digest, HashesAFileDescriptorToTheEnd) {
  TempDir dir("berth-digest-");
  ASSERT_FALSE(dir.path().empty());
  std::string big(size_t{200} * 1024, 'x');
  ASSERT_TRUE(write_file(dir.path("f"), big).ok());
  auto fd = open_path(dir.path("f"), O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto d = digest_fd(fd->get());
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, Digest::of(big));
}

TEST(Digest, OrdersAndComparesByValue) {
  auto a = Digest::of("a");
  auto b = Digest::of("a");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, Digest::of("b"));
  EXPECT_TRUE(Digest().empty());
  EXPECT_EQ(Digest().str(), "");
}

}  // namespace
}  // namespace berth::images
