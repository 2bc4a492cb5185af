#include "images/appc/ac_types.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::images::appc {
namespace {

TEST(AcIdentifier, AcceptsTheSpecExamples) {
  for (const char* name : {"database", "example.com/database", "example.com/user~1/app_v1",
                           "sub-domain.example.com/org/product/release", "a", "0"}) {
    EXPECT_TRUE(is_ac_identifier(name)) << name;
  }
}

TEST(AcIdentifier, RefusesUppercaseEdgesDoubleSeparatorsAndPorts) {
  for (const char* name : {"", "Example.com/db", "-db", "db-", "db//x", "a..b", "host:5000/db", "a b", "/db"}) {
    EXPECT_FALSE(is_ac_identifier(name)) << name;
  }
}

TEST(AcName, AllowsOnlyDashAsSeparator) {
  EXPECT_TRUE(is_ac_name("product-database-release"));
  EXPECT_FALSE(is_ac_name("example.com/db"));
  EXPECT_FALSE(is_ac_name("under_score"));
  EXPECT_FALSE(is_ac_name("x-"));
  auto bad = check_ac_name("app.ports[0].name", "Http");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("app.ports[0].name: \"Http\" is not an AC name"), std::string::npos)
      << bad.error().message();
}

TEST(ImageId, FullAndTruncatedFormsMatchTheDigest) {
  const Digest id = Digest::of("an ACI tar", DigestAlgorithm::kSha512);
  EXPECT_EQ(image_id(id), "sha512-" + id.hex());
  auto full = parse_image_id(image_id(id));
  ASSERT_TRUE(full) << full.error().message();
  EXPECT_TRUE(image_id_matches(*full, id));
  auto rkt_short = parse_image_id("sha512-" + id.hex().substr(0, 64));
  ASSERT_TRUE(rkt_short);
  EXPECT_TRUE(image_id_matches(*rkt_short, id));
  auto twelve = parse_image_id("sha512-" + id.hex().substr(0, 12));
  ASSERT_TRUE(twelve);
  EXPECT_TRUE(image_id_matches(*twelve, id));
  const Digest other = Digest::of("another ACI tar", DigestAlgorithm::kSha512);
  EXPECT_FALSE(image_id_matches(*twelve, other));
  EXPECT_FALSE(image_id_matches(id.hex().substr(0, 12), Digest::of("an ACI tar")))
      << "a sha256 digest is never an AppC image ID";
}

TEST(ImageId, MalformedIdsAreRefusedWithTheReason) {
  auto sha256 = parse_image_id("sha256-" + std::string(64, 'a'));
  ASSERT_FALSE(sha256);
  EXPECT_NE(sha256.error().message().find("sha512-"), std::string::npos);
  auto short_id = parse_image_id("sha512-abcdef");
  ASSERT_FALSE(short_id);
  EXPECT_NE(short_id.error().message().find("too short"), std::string::npos);
  EXPECT_FALSE(parse_image_id("sha512-" + std::string(12, 'A')));
  EXPECT_FALSE(parse_image_id("sha512-" + std::string(129, 'a')));
  EXPECT_FALSE(parse_image_id("sha512:" + std::string(128, 'a')));
}

TEST(Labels, MissingLabelsInTheQueryMatchAnything) {
  Labels image = {{"version", "1.0.0"}, {"os", "linux"}, {"arch", "amd64"}};
  EXPECT_TRUE(labels_match({}, image));
  EXPECT_TRUE(labels_match({{"os", "linux"}}, image));
  EXPECT_FALSE(labels_match({{"os", "freebsd"}}, image));
  EXPECT_FALSE(labels_match({{"env", "canary"}}, image)) << "a label the image lacks does not match";
}

}  // namespace
}  // namespace berth::images::appc
