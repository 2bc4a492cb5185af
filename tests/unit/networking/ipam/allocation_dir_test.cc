#include "networking/ipam/allocation_dir.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::ipam {
namespace {

using networking::IpAddress;
using networking::Subnet;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

class AllocationDirTest : public ::testing::Test {
 protected:
  AllocationDir open_dir() {
    auto d = AllocationDir::open(tmp_.path("pool"), Subnet::parse("10.88.0.0/24").value());
    EXPECT_TRUE(d.ok()) << d.error().message();
    return std::move(d).value();
  }
  TempDir tmp_{"berth-ipam-dir-test-"};
};

TEST_F(AllocationDirTest, ASecondClaimIsToldTheHolder) {
  AllocationDir dir = open_dir();
  auto first = dir.claim(ip("10.88.0.5"), "web");
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_FALSE(first->has_value()) << "claimed now";
  auto second = dir.claim(ip("10.88.0.5"), "db");
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(second->value_or(""), "web");
  ASSERT_TRUE(dir.release(ip("10.88.0.5"), "db").ok());
  EXPECT_EQ(dir.list().value().at("web").to_string(), "10.88.0.5") << "only the holder frees an address";
}

TEST_F(AllocationDirTest, EachAllocationIsOneEntryAndTheHintIsKept) {
  AllocationDir dir = open_dir();
  for (const auto& [id, text] :
       {std::pair{"a", "10.88.0.2"}, std::pair{"b", "10.88.0.3"}, std::pair{"c", "10.88.0.4"}}) {
    ASSERT_FALSE(dir.claim(ip(text), id).value().has_value());
    ASSERT_TRUE(dir.index(id, ip(text)).ok());
  }
  EXPECT_EQ(list_dir(dir.path() + "/addresses").value().size(), 3U);
  EXPECT_EQ(dir.address_of("b").value().value_or(ip("0.0.0.0")).to_string(), "10.88.0.3");
  EXPECT_FALSE(dir.last_given().has_value());
  ASSERT_TRUE(dir.set_last_given(ip("10.88.0.4")).ok());
  EXPECT_EQ(dir.last_given().value_or(ip("0.0.0.0")).to_string(), "10.88.0.4");
  ASSERT_TRUE(dir.release("b").ok());
  EXPECT_FALSE(dir.address_of("b").value().has_value());
  EXPECT_EQ(list_dir(dir.path() + "/addresses").value().size(), 2U);
  EXPECT_EQ(list_dir(dir.path() + "/containers").value().size(), 2U);
}

// Many processes race for the same few addresses: each address goes to exactly one of them.
TEST_F(AllocationDirTest, ConcurrentClaimsOfOneAddressHaveOneWinner) {
  constexpr int kProcesses = 4;
  constexpr int kAddresses = 50;
  (void)open_dir();
  std::vector<pid_t> children;
  for (int child = 0; child < kProcesses; ++child) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto d = AllocationDir::open(tmp_.path("pool"), Subnet::parse("10.88.0.0/24").value());
      if (!d) ::_exit(2);
      std::string won;
      for (int i = 0; i < kAddresses; ++i) {
        auto holder =
            d->claim(IpAddress::parse("10.88.0." + std::to_string(2 + i)).value(), "p" + std::to_string(child));
        if (!holder) ::_exit(3);
        if (!holder->has_value()) won += std::to_string(i) + "\n";
      }
      ::_exit(write_file(tmp_.path("won" + std::to_string(child)), won).ok() ? 0 : 4);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  std::vector<int> winners(kAddresses, 0);
  for (int child = 0; child < kProcesses; ++child) {
    std::string won = read_file(tmp_.path("won" + std::to_string(child))).value();
    for (size_t at = 0, end = 0; (end = won.find('\n', at)) != std::string::npos; at = end + 1) {
      ++winners[std::stoi(won.substr(at, end - at))];
    }
  }
  for (int i = 0; i < kAddresses; ++i) EXPECT_EQ(winners[i], 1) << "10.88.0." << 2 + i << " had " << winners[i];
}

TEST(ContainerEntryNameTest, PlainIdsStayAndTheRestIsEscaped) {
  EXPECT_EQ(container_entry_name("web-1_a.b:c").value(), "web-1_a.b:c");
  EXPECT_EQ(container_entry_name("a/b").value(), "a%2fb");
  EXPECT_EQ(container_entry_name(".x").value(), "%2ex");
  EXPECT_EQ(container_entry_name("..").value(), "%2e.");
  EXPECT_EQ(container_entry_name("%").value(), "%25") << "escapes cannot collide with plain ids";
  EXPECT_FALSE(container_entry_name("").ok());
  EXPECT_FALSE(container_entry_name(std::string("a\0b", 3)).ok());
}

}  // namespace
}  // namespace berth::ipam
