#include "cli/oci/commands.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <string>

namespace berth::cli {
namespace {

int signal_of(const std::string& text) {
  auto r = parse_signal(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error().message();
  return r.ok() ? *r : -1;
}

TEST(ParseSignal, NamesWithAndWithoutSig) {
  EXPECT_EQ(signal_of("TERM"), SIGTERM);
  EXPECT_EQ(signal_of("SIGTERM"), SIGTERM);
  EXPECT_EQ(signal_of("KILL"), SIGKILL);
  EXPECT_EQ(signal_of("SIGKILL"), SIGKILL);
  EXPECT_EQ(signal_of("HUP"), SIGHUP);
  EXPECT_EQ(signal_of("USR1"), SIGUSR1);
  EXPECT_EQ(signal_of("SIGWINCH"), SIGWINCH);
  EXPECT_EQ(signal_of("SYS"), SIGSYS);
}

TEST(ParseSignal, NamesInAnyCaseLikeRunc) {
  EXPECT_EQ(signal_of("term"), SIGTERM);
  EXPECT_EQ(signal_of("sigkill"), SIGKILL);
  EXPECT_EQ(signal_of("SigUsr2"), SIGUSR2);
}

TEST(ParseSignal, Numbers) {
  EXPECT_EQ(signal_of("15"), SIGTERM);
  EXPECT_EQ(signal_of("9"), SIGKILL);
  EXPECT_EQ(signal_of("1"), 1);
  EXPECT_EQ(signal_of("64"), 64);
}

TEST(ParseSignal, RealTimeSignalsCountFromRtmin) {
  EXPECT_EQ(signal_of("RTMIN+0"), SIGRTMIN);
  EXPECT_EQ(signal_of("RTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(signal_of("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(signal_of("RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN)), SIGRTMAX);
}

TEST(ParseSignal, BadInputIsAnErrorQuotingIt) {
  for (const char* bad :
       {"", "0", "65", "-1", "BOGUS", "SIGBOGUS", "SIG", "TERM ", "15x", "RTMIN+", "RTMIN+x", "RTMIN+100", "RTMIN-1"}) {
    auto r = parse_signal(bad);
    ASSERT_FALSE(r.ok()) << "\"" << bad << "\" gave " << *r;
    EXPECT_EQ(r.error().code(), EINVAL) << bad;
    EXPECT_EQ(r.error().message(), "invalid signal \"" + std::string(bad) + "\"");
  }
}

}  // namespace
}  // namespace berth::cli
