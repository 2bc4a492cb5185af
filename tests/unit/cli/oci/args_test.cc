#include "cli/oci/args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::cli {
namespace {

using Strings = std::vector<std::string>;

const std::vector<FlagSpec> kFlags = {
    {"bundle", "b", true}, {"env", "e", true}, {"pid-file", "", true}, {"detach", "d", false}, {"force", "f", false},
};

ParsedArgs parsed(const Strings& argv, bool stop_at_positional = false) {
  auto r = parse_args(argv, 0, kFlags, stop_at_positional);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : ParsedArgs{};
}

std::string error_of(const Strings& argv) {
  auto r = parse_args(argv, 0, kFlags, false);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().message();
}

TEST(Args, ValueFollowsTheFlag) {
  ParsedArgs a = parsed({"--bundle", "/b", "c1"});
  EXPECT_EQ(a.get("bundle"), "/b");
  EXPECT_EQ(a.positional, Strings{"c1"});
}

TEST(Args, ValueAfterAnEqualsSign) {
  ParsedArgs a = parsed({"--bundle=/b", "--pid-file=/run/p=1"});
  EXPECT_EQ(a.get("bundle"), "/b");
  EXPECT_EQ(a.get("pid-file"), "/run/p=1") << "only the first '=' separates";
}

TEST(Args, OneDashWorksLikeTwo) {
  EXPECT_EQ(parsed({"-bundle", "/b"}).get("bundle"), "/b");
  EXPECT_EQ(parsed({"-bundle=/b"}).get("bundle"), "/b");
}

TEST(Args, AliasIsStoredUnderTheFlagsName) {
  ParsedArgs a = parsed({"-b", "/b", "-e=A=1", "--d"});
  EXPECT_EQ(a.get("bundle"), "/b");
  EXPECT_EQ(a.all("env"), Strings{"A=1"});
  EXPECT_TRUE(a.flag("detach"));
  EXPECT_FALSE(a.has("b"));
}

TEST(Args, RepeatedFlagKeepsEveryValueAndGetTakesTheLast) {
  ParsedArgs a = parsed({"--env", "A=1", "-e", "B=2", "--env=C=3"});
  EXPECT_EQ(a.all("env"), (Strings{"A=1", "B=2", "C=3"}));
  EXPECT_EQ(a.get("env"), "C=3");
}

TEST(Args, AbsentFlagHasNoValue) {
  ParsedArgs a = parsed({"c1"});
  EXPECT_FALSE(a.has("bundle"));
  EXPECT_EQ(a.get("bundle"), "");
  EXPECT_EQ(a.get("bundle", "."), ".");
  EXPECT_TRUE(a.all("env").empty());
  EXPECT_FALSE(a.flag("detach"));
}

TEST(Args, EmptyValueIsAValue) {
  ParsedArgs a = parsed({"--bundle="});
  EXPECT_TRUE(a.has("bundle"));
  EXPECT_EQ(a.get("bundle", "."), "") << "an explicit empty value is not replaced by the fallback";
}

TEST(Args, BooleanFlagTakesNoValueFromTheNextArgument) {
  ParsedArgs a = parsed({"--detach", "c1"});
  EXPECT_TRUE(a.flag("detach"));
  EXPECT_EQ(a.positional, Strings{"c1"});
}

TEST(Args, BooleanFlagSetToFalseIsOff) {
  EXPECT_FALSE(parsed({"--detach=false"}).flag("detach"));
  EXPECT_TRUE(parsed({"--detach=true"}).flag("detach"));
  EXPECT_FALSE(parsed({"-d=false"}).flag("detach"));
}

TEST(Args, BooleanFlagTakesGosSpellings) {
  for (const char* on : {"1", "t", "T", "TRUE", "True"}) {
    EXPECT_TRUE(parsed({std::string("--detach=") + on}).flag("detach")) << on;
  }
  for (const char* off : {"0", "f", "F", "FALSE", "False"}) {
    EXPECT_FALSE(parsed({std::string("--detach=") + off}).flag("detach")) << off;
  }
}

TEST(Args, BooleanFlagWithAnotherValueIsAnError) {
  EXPECT_EQ(error_of({"--detach=yes"}), "invalid boolean value \"yes\" for -detach: parse error");
}

TEST(Args, TheLastBooleanFlagWins) {
  EXPECT_TRUE(parsed({"--detach=false", "--detach"}).flag("detach"));
  EXPECT_FALSE(parsed({"--detach", "--detach=false"}).flag("detach"));
}

TEST(Args, UnknownFlagIsAnErrorInRuncsWords) {
  EXPECT_EQ(error_of({"--nope"}), "flag provided but not defined: -nope");
  EXPECT_EQ(error_of({"-x", "c1"}), "flag provided but not defined: -x");
  EXPECT_EQ(error_of({"--nope=1"}), "flag provided but not defined: -nope");
}

TEST(Args, FlagWithoutItsValueIsAnError) { EXPECT_EQ(error_of({"c1", "--bundle"}), "flag needs an argument: -bundle"); }

TEST(Args, FlagsMayFollowPositionalArguments) {
  ParsedArgs a = parsed({"c1", "--force", "c2"});
  EXPECT_TRUE(a.flag("force"));
  EXPECT_EQ(a.positional, (Strings{"c1", "c2"}));
}

TEST(Args, StopAtPositionalLeavesTheRestToTheCommand) {
  ParsedArgs a = parsed({"--detach", "c1", "sh", "-c", "--force", "--nope"}, true);
  EXPECT_TRUE(a.flag("detach"));
  EXPECT_FALSE(a.flag("force"));
  EXPECT_EQ(a.positional, (Strings{"c1", "sh", "-c", "--force", "--nope"}));
}

TEST(Args, DoubleDashEndsTheFlags) {
  ParsedArgs a = parsed({"--force", "--", "--detach", "-b"});
  EXPECT_TRUE(a.flag("force"));
  EXPECT_FALSE(a.flag("detach"));
  EXPECT_EQ(a.positional, (Strings{"--detach", "-b"}));
}

TEST(Args, ALoneDashIsPositional) { EXPECT_EQ(parsed({"-"}).positional, Strings{"-"}); }

TEST(Args, ParsingStartsAtBegin) {
  auto r = parse_args({"berth-oci", "kill", "--bundle", "/b", "c1"}, 2, kFlags, false);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->get("bundle"), "/b");
  EXPECT_EQ(r->positional, Strings{"c1"});
}

TEST(Args, ConsumedStopsAtTheCommandAndSaysWhere) {
  const Strings argv = {"berth-oci", "--bundle", "/root", "--force", "create", "--bundle", "/b", "c1"};
  size_t consumed = 0;
  auto r = parse_args(argv, 1, kFlags, true, &consumed);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(consumed, 4U);
  EXPECT_EQ(r->get("bundle"), "/root");
  EXPECT_TRUE(r->flag("force"));
  EXPECT_TRUE(r->positional.empty());
}

TEST(Args, ConsumedWithoutACommandIsTheEnd) {
  size_t consumed = 0;
  auto r = parse_args({"berth-oci", "--force"}, 1, kFlags, true, &consumed);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(consumed, 2U);
}

}  // namespace
}  // namespace berth::cli
