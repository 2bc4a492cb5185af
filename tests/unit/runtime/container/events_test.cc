// The documents `events` prints: runc's field names and shapes, what a host does not
// count left out.
#include "runtime/container/events.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

namespace berth::container {
namespace {

using std::chrono::nanoseconds;

rapidjson::Document parsed(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

cgroups::Stats sample() {
  cgroups::Stats s;
  s.cpu.total = nanoseconds(3000);
  s.cpu.per_cpu = {nanoseconds(1000), nanoseconds(2000)};
  s.cpu.user = nanoseconds(2500);
  s.cpu.system = nanoseconds(500);
  s.cpu.periods = 10;
  s.cpu.throttled_periods = 2;
  s.cpu.throttled_time = nanoseconds(777);
  s.memory.memory = {16777216, 33554432, 67108864, 1};
  s.memory.memory_swap = {16777216, 33554432, cgroups::kUnlimited, 0};
  s.memory.cache_bytes = 4096;
  s.memory.raw = {{"cache", 4096}, {"rss", 8192}};
  s.pids.current = 3;
  s.pids.limit = 100;
  s.io.service_bytes = {{8, 0, "Read", 4096}, {8, 0, "Write", 512}};
  s.io.serviced = {{8, 0, "Read", 1}};
  s.hugetlb["2MB"] = {2097152, 4194304, 0};
  return s;
}

TEST(EventsJson, StatsHaveRuncsShape) {
  auto d = parsed(stats_event_json("web", sample()));
  EXPECT_STREQ(d["type"].GetString(), "stats");
  EXPECT_STREQ(d["id"].GetString(), "web");
  const auto& data = d["data"];
  const auto& usage = data["cpu"]["usage"];
  EXPECT_EQ(usage["total"].GetUint64(), 3000u);
  EXPECT_EQ(usage["percpu"].Size(), 2u);
  EXPECT_EQ(usage["percpu"][1].GetUint64(), 2000u);
  EXPECT_EQ(usage["kernel"].GetUint64(), 500u);
  EXPECT_EQ(usage["user"].GetUint64(), 2500u);
  const auto& throttling = data["cpu"]["throttling"];
  EXPECT_EQ(throttling["periods"].GetUint64(), 10u);
  EXPECT_EQ(throttling["throttledPeriods"].GetUint64(), 2u);
  EXPECT_EQ(throttling["throttledTime"].GetUint64(), 777u);
  const auto& memory = data["memory"];
  EXPECT_EQ(memory["cache"].GetUint64(), 4096u);
  EXPECT_EQ(memory["usage"]["usage"].GetUint64(), 16777216u);
  EXPECT_EQ(memory["usage"]["max"].GetUint64(), 33554432u);
  EXPECT_EQ(memory["usage"]["limit"].GetUint64(), 67108864u);
  EXPECT_EQ(memory["usage"]["failcnt"].GetUint64(), 1u);
  EXPECT_EQ(memory["swap"]["limit"].GetUint64(), cgroups::kUnlimited);
  EXPECT_EQ(memory["raw"]["rss"].GetUint64(), 8192u);
  EXPECT_EQ(data["pids"]["current"].GetUint64(), 3u);
  EXPECT_EQ(data["pids"]["limit"].GetUint64(), 100u);
  const auto& bytes = data["blkio"]["ioServiceBytesRecursive"];
  ASSERT_EQ(bytes.Size(), 2u);
  EXPECT_EQ(bytes[1]["major"].GetUint64(), 8u);
  EXPECT_EQ(bytes[1]["minor"].GetUint64(), 0u);
  EXPECT_STREQ(bytes[1]["op"].GetString(), "Write");
  EXPECT_EQ(bytes[1]["value"].GetUint64(), 512u);
  EXPECT_EQ(data["blkio"]["ioServicedRecursive"].Size(), 1u);
  EXPECT_EQ(data["hugetlb"]["2MB"]["usage"].GetUint64(), 2097152u);
  EXPECT_EQ(data["hugetlb"]["2MB"]["max"].GetUint64(), 4194304u);
}

TEST(EventsJson, WhatTheHostDoesNotCountIsLeftOut) {
  cgroups::Stats s;
  s.pids.current = 1;
  s.pids.limit = cgroups::kUnlimited;  // runc reports no pids limit as none
  auto d = parsed(stats_event_json("web", s));
  const auto& data = d["data"];
  EXPECT_FALSE(data["cpu"]["usage"].HasMember("total"));
  EXPECT_FALSE(data["cpu"]["usage"].HasMember("percpu"));
  EXPECT_EQ(data["cpu"]["usage"]["kernel"].GetUint64(), 0u);  // runc always writes these
  EXPECT_FALSE(data["memory"].HasMember("raw"));
  EXPECT_FALSE(data["memory"]["usage"].HasMember("usage"));
  EXPECT_TRUE(data["memory"]["usage"].HasMember("limit"));
  EXPECT_FALSE(data["pids"].HasMember("limit"));
  EXPECT_FALSE(data["blkio"].HasMember("ioServiceBytesRecursive"));
  EXPECT_TRUE(data["hugetlb"].IsObject());
}

TEST(EventsJson, OomEventHasNoData) { EXPECT_EQ(oom_event_json("web"), R"({"type":"oom","id":"web"})"); }

}  // namespace
}  // namespace berth::container
