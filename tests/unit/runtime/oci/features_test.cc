#include "runtime/oci/features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/json.h"

namespace berth::oci {
namespace {

// Parses a features document and reads the string array at a dotted path.
class FeaturesDoc {
 public:
  explicit FeaturesDoc(const std::string& text) : doc_(JsonDocument::parse(text, "features")) {
    EXPECT_TRUE(doc_.ok()) << doc_.error().message();
  }

  std::optional<JsonNode> at(const std::vector<std::string>& path) const {
    if (!doc_.ok()) return std::nullopt;
    std::optional<JsonNode> node = JsonNode(*doc_);
    for (const std::string& key : path) {
      if (!node) return std::nullopt;
      node = node->field(key);
    }
    return node;
  }

  std::vector<std::string> strings(const std::vector<std::string>& path) const {
    auto node = at(path);
    if (!node) return {};
    auto values = node->as_string_array();
    return values.ok() ? *values : std::vector<std::string>{};
  }

  std::optional<bool> flag(const std::vector<std::string>& path) const {
    auto node = at(path);
    if (!node) return std::nullopt;
    auto value = node->as_bool();
    return value.ok() ? std::optional<bool>(*value) : std::nullopt;
  }

 private:
  Result<JsonDocument> doc_;
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Features, DeclaresTheSpecVersionsAndEveryHook) {
  FeaturesDoc doc(features_json());
  ASSERT_TRUE(doc.at({"ociVersionMin"}));
  EXPECT_EQ(*doc.at({"ociVersionMin"})->as_string(), "1.0.0");
  EXPECT_EQ(*doc.at({"ociVersionMax"})->as_string(), "1.2.0");
  EXPECT_EQ(doc.strings({"hooks"}), (std::vector<std::string>{"prestart", "createRuntime", "createContainer",
                                                              "startContainer", "poststart", "poststop"}));
}

TEST(Features, ListsEveryMountOptionOnce) {
  std::vector<std::string> options = FeaturesDoc(features_json()).strings({"mountOptions"});
  EXPECT_EQ(options.size(), 62u);
  for (const char* o : {"rbind", "rro", "nosymfollow", "tmpcopyup", "idmap", "ridmap", "strictatime"}) {
    EXPECT_TRUE(contains(options, o)) << o;
  }
  std::vector<std::string> sorted = options;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
  EXPECT_FALSE(contains(options, ""));
}

TEST(Features, ListsAllNamespacesAndCapabilities) {
  FeaturesDoc doc(features_json());
  std::vector<std::string> ns = doc.strings({"linux", "namespaces"});
  EXPECT_EQ(ns.size(), 8u);
  EXPECT_TRUE(contains(ns, "time"));
  EXPECT_TRUE(contains(ns, "user"));
  std::vector<std::string> caps = doc.strings({"linux", "capabilities"});
  EXPECT_TRUE(contains(caps, "CAP_CHOWN"));
  EXPECT_TRUE(contains(caps, "CAP_SYS_ADMIN"));
  EXPECT_TRUE(contains(caps, "CAP_CHECKPOINT_RESTORE"));
}

TEST(Features, DescribesCgroupAndLsmSupport) {
  FeaturesDoc doc(features_json());
  EXPECT_EQ(doc.flag({"linux", "cgroup", "v1"}), true);
  EXPECT_EQ(doc.flag({"linux", "cgroup", "v2"}), true);
  EXPECT_EQ(doc.flag({"linux", "cgroup", "systemd"}), false);
  EXPECT_EQ(doc.flag({"linux", "cgroup", "rdma"}), false);
  EXPECT_EQ(doc.flag({"linux", "intelRdt", "enabled"}), false);
  EXPECT_EQ(doc.flag({"linux", "mountExtensions", "idmap", "enabled"}), true);
  EXPECT_TRUE(doc.flag({"linux", "apparmor", "enabled"}).has_value());
  EXPECT_TRUE(doc.flag({"linux", "selinux", "enabled"}).has_value());
}

TEST(Features, ReportsTheGivenHostFacts) {
  HostFeatures host;
  host.apparmor = true;
  host.selinux = false;
  host.seccomp_supported_flags = {"SECCOMP_FILTER_FLAG_LOG"};
  FeaturesDoc doc(features_json(host));
  EXPECT_EQ(doc.flag({"linux", "apparmor", "enabled"}), true);
  EXPECT_EQ(doc.flag({"linux", "selinux", "enabled"}), false);
  EXPECT_EQ(doc.strings({"linux", "seccomp", "supportedFlags"}), std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
}

TEST(Features, SeccompListsWhatTheCompilerTakes) {
  FeaturesDoc doc(features_json());
  EXPECT_EQ(doc.flag({"linux", "seccomp", "enabled"}), true);
  EXPECT_EQ(doc.strings({"linux", "seccomp", "actions"}).size(), 9u);
  EXPECT_TRUE(contains(doc.strings({"linux", "seccomp", "operators"}), "SCMP_CMP_MASKED_EQ"));
  std::vector<std::string> archs = doc.strings({"linux", "seccomp", "archs"});
  EXPECT_TRUE(contains(archs, "SCMP_ARCH_X86_64"));
  EXPECT_TRUE(contains(archs, "SCMP_ARCH_AARCH64"));
  std::vector<std::string> known = doc.strings({"linux", "seccomp", "knownFlags"});
  for (const std::string& flag : doc.strings({"linux", "seccomp", "supportedFlags"})) {
    EXPECT_TRUE(contains(known, flag)) << flag;
  }
}

TEST(Features, SupportedSeccompFlagsComeFromTheKernel) {
  // Every kernel berth runs on (>= 4.17) takes LOG and SPEC_ALLOW.
  std::vector<std::string> flags = probe_host_features().seccomp_supported_flags;
  EXPECT_TRUE(contains(flags, "SECCOMP_FILTER_FLAG_LOG"));
  EXPECT_TRUE(contains(flags, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
}

TEST(Features, AnnotatesBerthAndLibseccompVersions) {
  FeaturesDoc doc(features_json());
  auto berth = doc.at({"annotations", "io.github.berth.version"});
  ASSERT_TRUE(berth);
  EXPECT_EQ(*berth->as_string(), BERTH_VERSION);
  auto libseccomp = doc.at({"annotations", "io.github.seccomp.libseccomp.version"});
  ASSERT_TRUE(libseccomp);
  EXPECT_FALSE(libseccomp->as_string()->empty());
}

}  // namespace
}  // namespace berth::oci
