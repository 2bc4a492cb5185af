#include "common/json.h"

#include <gtest/gtest.h>

#include <string>

namespace berth {
namespace {

JsonDocument parse_ok(std::string_view text) {
  auto doc = JsonDocument::parse(text, "test.json");
  EXPECT_TRUE(doc.ok()) << doc.error().message();
  return std::move(doc).value();
}

TEST(Json, SyntaxErrorNamesTheDocumentAndLine) {
  auto doc = JsonDocument::parse("{\n  \"a\": 1,\n  \"b\": ]\n}", "config.json");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code(), EINVAL);
  EXPECT_EQ(doc.error().message().rfind("config.json: invalid JSON at line 3 (byte ", 0), 0u) << doc.error().message();
}

TEST(Json, EmptyTextIsASyntaxError) { EXPECT_FALSE(JsonDocument::parse("", "x").ok()); }

TEST(Json, TrailingTextAfterTheDocumentIsIgnored) {
  // Some engines write config.json with a trailing newline or NUL padding.
  EXPECT_TRUE(JsonDocument::parse("{}\n", "x").ok());
}

TEST(Json, FieldPathsNestThroughObjectsAndArrays) {
  JsonDocument doc = parse_ok(R"({"process": {"args": ["sh", 7]}})");
  JsonNode root(doc);
  EXPECT_EQ(root.path(), "");
  auto process = root.field("process");
  ASSERT_TRUE(process.has_value());
  EXPECT_EQ(process->path(), "process");
  auto args = process->field("args")->as_array();
  ASSERT_TRUE(args.ok());
  ASSERT_EQ(args->size(), 2u);
  EXPECT_EQ((*args)[1].path(), "process.args[1]");
  auto bad = (*args)[1].as_string();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "process.args[1]: must be a string");
  EXPECT_EQ(bad.error().code(), EINVAL);
}

TEST(Json, RootErrorsSayRoot) {
  JsonDocument doc = parse_ok("[]");
  EXPECT_EQ(JsonNode(doc).error("must be an object").message(), "(root): must be an object");
}

TEST(Json, AbsentAndNullFieldsAreTheSame) {
  JsonDocument doc = parse_ok(R"({"a": null, "b": 0})");
  JsonNode root(doc);
  EXPECT_FALSE(root.field("a").has_value());
  EXPECT_FALSE(root.field("missing").has_value());
  EXPECT_TRUE(root.field("b").has_value());
  // Asking a non-object for a field finds nothing rather than failing.
  EXPECT_FALSE(root.field("b")->field("x").has_value());
}

TEST(Json, IntegersAreRangeChecked) {
  JsonDocument doc = parse_ok(R"({"neg": -1, "big": 4294967296, "max32": 4294967295, "float": 1.5,
      "huge": 18446744073709551615, "i32": -2147483649, "text": "1"})");
  JsonNode root(doc);
  EXPECT_EQ(root.field("neg")->as_int64().value(), -1);
  EXPECT_EQ(root.field("neg")->as_uint64().error().message(), "neg: must not be negative");
  EXPECT_EQ(root.field("big")->as_uint32().error().message(), "big: must be at most 4294967295");
  EXPECT_EQ(root.field("max32")->as_uint32().value(), 4294967295u);
  EXPECT_EQ(root.field("float")->as_int64().error().message(), "float: must be an integer");
  EXPECT_EQ(root.field("huge")->as_uint64().value(), UINT64_MAX);
  EXPECT_FALSE(root.field("huge")->as_int64().ok());
  EXPECT_EQ(root.field("i32")->as_int32().error().message(), "i32: does not fit a 32-bit integer");
  EXPECT_EQ(root.field("text")->as_uint64().error().message(), "text: must be an integer");
}

TEST(Json, BooleansAreNotNumbers) {
  JsonDocument doc = parse_ok(R"({"t": true, "n": 1})");
  JsonNode root(doc);
  EXPECT_TRUE(root.field("t")->as_bool().value());
  EXPECT_EQ(root.field("n")->as_bool().error().message(), "n: must be a boolean");
  EXPECT_FALSE(root.field("t")->as_int64().ok());
}

TEST(Json, StringsKeepEmbeddedNulsAndUnicode) {
  JsonDocument doc = parse_ok(R"({"s": "a\u0000b", "u": "caf\u00e9"})");
  JsonNode root(doc);
  EXPECT_EQ(root.field("s")->as_string().value(), std::string("a\0b", 3));
  EXPECT_EQ(root.field("u")->as_string().value(), "caf\xc3\xa9");
}

TEST(Json, ObjectMembersComeInDocumentOrder) {
  JsonDocument doc = parse_ok(R"({"annotations": {"z": "1", "a": "2", "m": "3"}})");
  auto members = JsonNode(doc).field("annotations")->as_object();
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 3u);
  EXPECT_EQ((*members)[0].first, "z");
  EXPECT_EQ((*members)[2].first, "m");
  EXPECT_EQ((*members)[1].second.path(), "annotations.a");
}

TEST(Json, StringArrayErrorNamesTheElement) {
  JsonDocument doc = parse_ok(R"({"env": ["A=1", null], "ok": ["x", "y"], "notarray": "x"})");
  JsonNode root(doc);
  EXPECT_EQ(root.field("env")->as_string_array().error().message(), "env[1]: must be a string");
  EXPECT_EQ(root.field("ok")->as_string_array().value(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(root.field("notarray")->as_string_array().error().message(), "notarray: must be an array");
  EXPECT_EQ(root.field("notarray")->as_object().error().message(), "notarray: must be an object");
}

TEST(Json, SerializeReproducesAValueCompactly) {
  JsonDocument doc = parse_ok(R"({ "rdma" : { "hcaHandles" : 3, "x" : [true, null, "s"] } })");
  EXPECT_EQ(json_serialize(JsonNode(doc).field("rdma")->raw()), R"({"hcaHandles":3,"x":[true,null,"s"]})");
}

TEST(Json, WriterHelpersTakeStringViews) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  std::string_view text("id-and-more", 2);
  w.StartObject();
  json_key(w, "k\"ey");
  json_string(w, text);
  w.EndObject();
  EXPECT_EQ(std::string(buf.GetString(), buf.GetSize()), R"({"k\"ey":"id"})");
}

TEST(Json, QuoteEscapesWhatJsonNeeds) {
  EXPECT_EQ(json_quote("plain"), R"("plain")");
  EXPECT_EQ(json_quote(""), R"("")");
  EXPECT_EQ(json_quote("a\"b\\c\nd"), R"("a\"b\\c\nd")");
  EXPECT_EQ(json_quote(std::string_view("nul\0x", 5)), R"("nul\u0000x")");
}

TEST(Json, OptionalStringIsEmptyWhenAbsentAndRefusedWhenNotAString) {
  auto doc = JsonDocument::parse(R"({"a": "x", "n": null, "i": 3})", "doc");
  ASSERT_TRUE(doc.ok());
  JsonNode root(*doc);
  EXPECT_EQ(root.optional_string("a").value(), "x");
  EXPECT_EQ(root.optional_string("missing").value(), "");
  EXPECT_EQ(root.optional_string("n").value(), "");
  auto wrong = root.optional_string("i");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("i: must be a string"), std::string::npos) << wrong.error().message();
}

}  // namespace
}  // namespace berth
