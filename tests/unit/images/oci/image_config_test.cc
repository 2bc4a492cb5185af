#include "images/oci/image_config.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::images {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

constexpr std::string_view kFullConfig = R"({
  "created": "2024-01-02T03:04:05Z", "author": "someone",
  "architecture": "arm", "variant": "v7", "os": "linux",
  "config": {
    "User": "1000:1000", "WorkingDir": "/srv",
    "Env": ["PATH=/usr/bin:/bin", "EMPTY="],
    "Entrypoint": ["/bin/app"], "Cmd": ["--serve"],
    "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
    "Volumes": {"/data": {}},
    "Labels": {"org.example.team": "infra"},
    "StopSignal": "SIGQUIT"
  },
  "rootfs": {"type": "layers", "diff_ids": ["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]},
  "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "ADD rootfs", "comment": "c"},
              {"created_by": "CMD", "empty_layer": true}]
})";

TEST(ImageConfig, ParsesEveryField) {
  auto c = parse_image_config(kFullConfig);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->architecture, "arm");
  EXPECT_EQ(c->variant, "v7");
  EXPECT_EQ(c->created, "2024-01-02T03:04:05Z");
  EXPECT_EQ(c->author, "someone");
  EXPECT_EQ(c->config.user, "1000:1000");
  EXPECT_EQ(c->config.working_dir, "/srv");
  EXPECT_EQ(c->config.env, (std::vector<std::string>{"PATH=/usr/bin:/bin", "EMPTY="}));
  EXPECT_EQ(c->config.entrypoint, std::vector<std::string>{"/bin/app"});
  EXPECT_EQ(c->config.cmd, std::vector<std::string>{"--serve"});
  EXPECT_EQ(c->config.exposed_ports, (std::vector<std::string>{"53/udp", "8080/tcp"}));
  EXPECT_EQ(c->config.volumes, std::vector<std::string>{"/data"});
  EXPECT_EQ(c->config.labels.at("org.example.team"), "infra");
  EXPECT_EQ(c->config.stop_signal, "SIGQUIT");
  ASSERT_EQ(c->diff_ids.size(), 1U);
  EXPECT_EQ(c->diff_ids[0].str(), kA);
  ASSERT_EQ(c->history.size(), 2U);
  EXPECT_EQ(c->history[0].created_by, "ADD rootfs");
  EXPECT_FALSE(c->history[0].empty_layer);
  EXPECT_TRUE(c->history[1].empty_layer);
}

TEST(ImageConfig, NullCmdDiffersFromEmptyCmd) {
  auto none = parse_image_config(
      R"({"os":"linux","architecture":"amd64","config":{"Cmd":null},"rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_TRUE(none.ok()) << none.error().message();
  EXPECT_FALSE(none->config.cmd.has_value());
  EXPECT_FALSE(none->config.entrypoint.has_value());
  auto empty = parse_image_config(
      R"({"os":"linux","architecture":"amd64","config":{"Cmd":[]},"rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  ASSERT_TRUE(empty->config.cmd.has_value());
  EXPECT_TRUE(empty->config.cmd->empty());
}

TEST(ImageConfig, MissingAndMalformedFieldsNameTheirPath) {
  struct Case {
    std::string json;
    std::string error;
  };
  const Case cases[] = {
      {R"({"architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}})", "image config: os: is required"},
      {R"({"os":"linux","rootfs":{"type":"layers","diff_ids":[]}})", "image config: architecture: is required"},
      {R"({"os":"linux","architecture":"amd64"})", "image config: rootfs: is required"},
      {R"({"os":"linux","architecture":"amd64","rootfs":{"type":"layers"}})",
       "image config: rootfs.diff_ids: is required"},
      {R"({"os":"linux","architecture":"amd64","rootfs":{"type":"tarballs","diff_ids":[]}})",
       R"(image config: rootfs.type: must be "layers", got "tarballs")"},
      {R"({"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":["sha256:00"]}})",
       "image config: rootfs.diff_ids[0]: invalid digest \"sha256:00\""},
      {R"({"os":"linux","architecture":"amd64","config":{"Env":["NOEQUALS"]},"rootfs":{"type":"layers","diff_ids":[]}})",
       "image config: config.Env[0]: \"NOEQUALS\" is not KEY=value"},
      {R"({"os":"linux","architecture":"amd64","config":{"Cmd":"sh"},"rootfs":{"type":"layers","diff_ids":[]}})",
       "image config: config.Cmd: must be an array"},
      {R"({"os":"linux","architecture":"amd64","config":{"ExposedPorts":{"80/tcp":1}},"rootfs":{"type":"layers","diff_ids":[]}})",
       "image config: config.ExposedPorts.80/tcp: must be an object ({})"},
      {R"({"os":"linux","architecture":"amd64","config":{"Labels":{"a":1}},"rootfs":{"type":"layers","diff_ids":[]}})",
       "image config: config.Labels.a: must be a string"},
      {R"({"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]},"history":[{"empty_layer":"yes"}]})",
       "image config: history[0].empty_layer: must be a boolean"},
  };
  for (const Case& c : cases) {
    auto r = parse_image_config(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().message().substr(0, c.error.size()), c.error) << r.error().message();
  }
}

TEST(ChainId, FirstLayerIsItsDiffIdAndTheRestChain) {
  // Computed in a shell:
  //   printf '%s' "$A $B" | sha256sum; printf '%s' "sha256:<that> $C" | sha256sum
  std::vector<Digest> diff_ids = {*Digest::parse(kA), *Digest::parse(kB), *Digest::parse(kC)};
  auto ids = chain_ids(diff_ids);
  ASSERT_EQ(ids.size(), 3U);
  EXPECT_EQ(ids[0].str(), kA);
  EXPECT_EQ(ids[1].str(), "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
  EXPECT_EQ(ids[2].str(), "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588");
  EXPECT_TRUE(chain_ids({}).empty());
}

}  // namespace
}  // namespace berth::images
