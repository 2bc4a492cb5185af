#include "images/appc/image_manifest.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::images::appc {
namespace {

constexpr std::string_view kFull = R"({
  "acKind": "ImageManifest", "acVersion": "0.8.11",
  "name": "example.com/reduce-worker",
  "labels": [{"name": "version", "value": "1.0.0"}, {"name": "arch", "value": "amd64"},
             {"name": "os", "value": "linux"}],
  "app": {
    "exec": ["/usr/bin/reduce-worker", "--quiet"], "user": "100", "group": "300",
    "workingDirectory": "/opt/work",
    "environment": [{"name": "REDUCE_WORKER_DEBUG", "value": "true"}],
    "isolators": [{"name": "resource/cpu", "value": {"request": "250", "limit": "500"}}],
    "mountPoints": [{"name": "work", "path": "/var/lib/work", "readOnly": true}],
    "ports": [{"name": "health", "port": 4000, "protocol": "tcp", "socketActivated": true},
              {"name": "ftp-data", "port": 20000, "count": 3, "protocol": "tcp"}]
  },
  "dependencies": [{"imageName": "example.com/reduce-worker-base",
                    "imageID": "sha512-0123456789abcdef",
                    "labels": [{"name": "os", "value": "linux"}, {"name": "env", "value": "canary"}],
                    "size": 22017258}],
  "pathWhitelist": ["/etc/ca/example.com/crt", "/usr/bin/map-reduce-worker"],
  "annotations": [{"name": "authors", "value": "Carly Container"}, {"name": "created", "value": "2014-10-27T19:32:27Z"}]
})";

std::string with(std::string_view from, std::string_view to) {
  std::string s(kFull);
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

std::string error_of(const std::string& json) {
  auto m = parse_image_manifest(json);
  return m ? std::string("(parsed)") : m.error().message();
}

TEST(ImageManifest, ParsesEveryFieldOfTheSpecExample) {
  auto m = parse_image_manifest(kFull);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->ac_version, "0.8.11");
  EXPECT_EQ(m->name, "example.com/reduce-worker");
  EXPECT_EQ(m->labels.at("version"), "1.0.0");
  EXPECT_EQ(m->labels.at("os"), "linux");
  ASSERT_TRUE(m->app);
  EXPECT_EQ(m->app->exec, (std::vector<std::string>{"/usr/bin/reduce-worker", "--quiet"}));
  EXPECT_EQ(m->app->user, "100");
  EXPECT_EQ(m->app->group, "300");
  EXPECT_EQ(m->app->working_directory, "/opt/work");
  ASSERT_EQ(m->app->environment.size(), 1U);
  EXPECT_EQ(m->app->environment[0].first, "REDUCE_WORKER_DEBUG");
  ASSERT_EQ(m->app->mount_points.size(), 1U);
  EXPECT_TRUE(m->app->mount_points[0].read_only);
  ASSERT_EQ(m->app->ports.size(), 2U);
  EXPECT_TRUE(m->app->ports[0].socket_activated);
  EXPECT_EQ(m->app->ports[1].count, 3);
  ASSERT_EQ(m->dependencies.size(), 1U);
  EXPECT_EQ(m->dependencies[0].image_name, "example.com/reduce-worker-base");
  EXPECT_EQ(m->dependencies[0].image_id, "0123456789abcdef");
  EXPECT_EQ(m->dependencies[0].labels.at("env"), "canary");
  EXPECT_EQ(m->dependencies[0].size, 22017258U);
  EXPECT_EQ(m->path_whitelist.size(), 2U);
  EXPECT_EQ(m->annotations.at("authors"), "Carly Container");
  ASSERT_EQ(m->warnings.size(), 1U);
  EXPECT_NE(m->warnings[0].find("resource/cpu"), std::string::npos) << m->warnings[0];
}

TEST(ImageManifest, AppBecomesTheContainerDefaults) {
  auto m = parse_image_manifest(kFull);
  ASSERT_TRUE(m) << m.error().message();
  ContainerDefaults d = container_defaults(*m);
  ASSERT_TRUE(d.entrypoint);
  EXPECT_EQ(*d.entrypoint, m->app->exec);
  ASSERT_TRUE(d.cmd);
  EXPECT_TRUE(d.cmd->empty());
  EXPECT_EQ(d.env, (std::vector<std::string>{"REDUCE_WORKER_DEBUG=true"}));
  EXPECT_EQ(d.working_dir, "/opt/work");
  EXPECT_EQ(d.user, "100:300");
  EXPECT_EQ(d.exposed_ports, (std::vector<std::string>{"20000/tcp", "20001/tcp", "20002/tcp", "4000/tcp"}));
  EXPECT_EQ(d.volumes, (std::vector<std::string>{"/var/lib/work"}));
  EXPECT_EQ(d.labels.at("version"), "1.0.0");
  EXPECT_EQ(d.labels.at("appc.name"), "example.com/reduce-worker");
}

TEST(ImageManifest, AManifestWithoutAppHasNoEntrypoint) {
  auto m = parse_image_manifest(R"({"acKind": "ImageManifest", "acVersion": "0.8.0", "name": "example.com/base"})");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_FALSE(m->app);
  EXPECT_FALSE(container_defaults(*m).entrypoint);
}

TEST(ImageManifest, ErrorsNameTheField) {
  EXPECT_NE(error_of(with(R"("acKind": "ImageManifest")", R"("acKind": "PodManifest")")).find("acKind"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("acVersion": "0.8.11")", R"("acVersion": "latest")")).find("acVersion"),
            std::string::npos);
  EXPECT_NE(error_of(with("example.com/reduce-worker\"", "Example.com/Reduce\"")).find("name: \"Example.com/Reduce\""),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("port": 4000)", R"("port": 70000)")).find("app.ports[0].port: must be 1..65535"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("/usr/bin/reduce-worker", "--quiet")", R"("reduce-worker")")).find("app.exec"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("user": "100", )", "")).find("\"user\" is required"), std::string::npos);
  EXPECT_NE(error_of(with("sha512-0123456789abcdef", "sha256-0123456789abcdef")).find("dependencies[0].imageID"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"({"name": "arch", "value": "amd64"})", R"({"name": "os", "value": "linux"})"))
                .find("labels[2].name: \"os\" appears twice"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("name": "version")", R"("name": "name")")).find("cannot be called \"name\""),
            std::string::npos);
  EXPECT_NE(error_of(with("REDUCE_WORKER_DEBUG", "1BAD-NAME")).find("app.environment[0].name"), std::string::npos);
  EXPECT_NE(error_of(with(R"("path": "/var/lib/work")", R"("path": "var/lib/work")")).find("app.mountPoints[0]"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"("/etc/ca/example.com/crt")", R"("etc/ca")")).find("pathWhitelist[0]"), std::string::npos);
  EXPECT_NE(error_of("{not json").find("invalid JSON"), std::string::npos);
  EXPECT_NE(error_of("[]").find("must be a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace berth::images::appc
