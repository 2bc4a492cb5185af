#include "runtime/oci/state.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::oci {
namespace {

State running_state() {
  State s;
  s.oci_version = "1.2.0";
  s.id = "web";
  s.status = "running";
  s.pid = 4242;
  s.bundle = "/run/bundles/web";
  return s;
}

TEST(State, PrettyOutputIsIndentedLikeRunc) {
  EXPECT_EQ(state_to_json(running_state(), true),
            "{\n"
            "  \"ociVersion\": \"1.2.0\",\n"
            "  \"id\": \"web\",\n"
            "  \"status\": \"running\",\n"
            "  \"pid\": 4242,\n"
            "  \"bundle\": \"/run/bundles/web\"\n"
            "}");
}

TEST(State, CompactOutputIsOneLine) {
  EXPECT_EQ(state_to_json(running_state(), false),
            R"({"ociVersion":"1.2.0","id":"web","status":"running","pid":4242,"bundle":"/run/bundles/web"})");
}

TEST(State, AnnotationsAppearOnlyWhenPresent) {
  State s = running_state();
  s.annotations = {{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(state_to_json(s, false), R"({"ociVersion":"1.2.0","id":"web","status":"running","pid":4242,)"
                                     R"("bundle":"/run/bundles/web","annotations":{"a":"1","b":"2"}})");
  std::string pretty = state_to_json(s, true);
  EXPECT_NE(pretty.find("  \"annotations\": {\n    \"a\": \"1\",\n    \"b\": \"2\"\n  }\n}"), std::string::npos)
      << pretty;
}

TEST(State, StoppedContainerReportsPidZero) {
  State s = running_state();
  s.status = "stopped";
  s.pid = 0;
  EXPECT_NE(state_to_json(s, false).find(R"("pid":0)"), std::string::npos);
}

TEST(State, SpecialCharactersAreEscaped) {
  State s = running_state();
  s.bundle = "/tmp/a \"b\"\\c\n";
  auto back = parse_state(state_to_json(s, false));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->bundle, s.bundle);
}

TEST(State, WrittenStateParsesBack) {
  State s = running_state();
  s.annotations["org.opencontainers.image.title"] = "web";
  for (bool pretty : {false, true}) {
    auto back = parse_state(state_to_json(s, pretty));
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->oci_version, s.oci_version);
    EXPECT_EQ(back->id, s.id);
    EXPECT_EQ(back->status, s.status);
    EXPECT_EQ(back->pid, s.pid);
    EXPECT_EQ(back->bundle, s.bundle);
    EXPECT_EQ(back->annotations, s.annotations);
  }
}

TEST(State, RuncStateOutputParsesAndExtraFieldsAreIgnored) {
  auto s = parse_state(R"({
  "ociVersion": "1.0.2-dev",
  "id": "c1",
  "pid": 1234,
  "status": "created",
  "bundle": "/b",
  "rootfs": "/b/rootfs",
  "created": "2024-01-01T00:00:00.000000000Z",
  "owner": ""
})");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->status, "created");
  EXPECT_EQ(s->pid, 1234);
  EXPECT_TRUE(s->annotations.empty());
}

TEST(State, InvalidStateIsRefusedNamingTheField) {
  auto err = [](std::string_view json) {
    auto s = parse_state(json);
    return s.ok() ? std::string() : s.error().message();
  };
  EXPECT_EQ(err(R"({"ociVersion": "1.0.0", "id": "a", "status": "paused", "bundle": "/b"})"),
            "status: unknown status \"paused\"");
  EXPECT_EQ(err(R"({"ociVersion": "1.0.0", "status": "created", "bundle": "/b"})"), "id: required");
  EXPECT_EQ(err(R"({"ociVersion": "1.0.0", "id": "", "status": "created", "bundle": "/b"})"), "id: must not be empty");
  EXPECT_EQ(err(R"({"ociVersion": "1.0.0", "id": "a", "status": "created"})"), "bundle: required");
  EXPECT_EQ(err(R"({"ociVersion": "1.0.0", "id": "a", "status": "created", "bundle": "/b", "pid": -4})"),
            "pid: must not be negative");
  EXPECT_EQ(err(R"({"ociVersion": "1.0.0", "id": "a", "status": "created", "bundle": "/b", "pid": "7"})"),
            "pid: must be an integer");
  EXPECT_EQ(err("[1]"), "(root): must be an object");
  EXPECT_EQ(err("").rfind("state: invalid JSON", 0), 0u);
}

}  // namespace
}  // namespace berth::oci
