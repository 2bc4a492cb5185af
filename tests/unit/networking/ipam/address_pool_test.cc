#include "networking/ipam/address_pool.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::ipam {
namespace {

using networking::IpAddress;
using networking::Subnet;

class AddressPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }

  AddressPool pool(const std::string& subnet) {
    auto p = AddressPool::open(tmp_.path("ipam"), Subnet::parse(subnet).value());
    EXPECT_TRUE(p.ok()) << p.error().message();
    return std::move(p).value();
  }
  static std::string give(AddressPool& p, const std::string& id) {
    auto a = p.allocate(id);
    EXPECT_TRUE(a.ok()) << a.error().message();
    return a ? a->address.to_string() : "";
  }

  TempDir tmp_{"berth-ipam-test-"};
};

TEST_F(AddressPoolTest, GatewayIsFirstAndContainersFollowInOrder) {
  auto p = pool("10.88.0.0/16");
  EXPECT_EQ(p.gateway().to_string(), "10.88.0.1");
  auto a = p.allocate("c1").value();
  EXPECT_EQ(a.address.to_string(), "10.88.0.2");
  EXPECT_EQ(a.gateway.to_string(), "10.88.0.1");
  EXPECT_EQ(a.subnet.to_string(), "10.88.0.0/16");
  EXPECT_EQ(give(p, "c2"), "10.88.0.3");
  EXPECT_EQ(give(p, "c3"), "10.88.0.4");
}

TEST_F(AddressPoolTest, Ipv6SubnetHandsOutAfterGateway) {
  auto p = pool("fd00:be7::/64");
  EXPECT_EQ(p.gateway().to_string(), "fd00:be7::1");
  EXPECT_EQ(give(p, "c1"), "fd00:be7::2");
  EXPECT_EQ(give(p, "c2"), "fd00:be7::3");
}

TEST_F(AddressPoolTest, ReleasedAddressIsNotReusedBeforeTheRangeWrapsAround) {
  auto p = pool("10.88.0.0/29");  // hosts .2 .. .6 (.7 is broadcast)
  EXPECT_EQ(give(p, "a"), "10.88.0.2");
  EXPECT_EQ(give(p, "b"), "10.88.0.3");
  ASSERT_TRUE(p.release("a").ok());
  EXPECT_EQ(give(p, "c"), "10.88.0.4") << "round-robin: next after the last handed out";
  EXPECT_EQ(give(p, "d"), "10.88.0.5");
  EXPECT_EQ(give(p, "e"), "10.88.0.6");
  EXPECT_EQ(give(p, "f"), "10.88.0.2") << "wraps past the broadcast to the first host, skipping the gateway";
}

TEST_F(AddressPoolTest, SameContainerGetsItsAddressBack) {
  auto p = pool("10.88.0.0/24");
  EXPECT_EQ(give(p, "c1"), "10.88.0.2");
  EXPECT_EQ(give(p, "c1"), "10.88.0.2");
  EXPECT_EQ(give(p, "c2"), "10.88.0.3");
}

TEST_F(AddressPoolTest, FullSubnetErrorNamesTheSubnet) {
  auto p = pool("10.88.0.0/30");  // .0 network, .1 gateway, .2 container, .3 broadcast
  EXPECT_EQ(give(p, "c1"), "10.88.0.2");
  auto full = p.allocate("c2");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code(), ENOSPC);
  EXPECT_NE(full.error().message().find("subnet 10.88.0.0/30 is full"), std::string::npos) << full.error().message();
  ASSERT_TRUE(p.release("c1").ok());
  EXPECT_EQ(give(p, "c2"), "10.88.0.2") << "a released address can be handed out again";
}

TEST_F(AddressPoolTest, SubnetWithoutRoomForAContainerIsRefused) {
  auto p = AddressPool::open(tmp_.path("ipam"), Subnet::parse("10.88.0.0/31").value());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("10.88.0.0/31 is too small"), std::string::npos) << p.error().message();
}

TEST_F(AddressPoolTest, RequestedAddressIsHonoured) {
  auto p = pool("10.88.0.0/24");
  auto a = p.allocate("web", IpAddress::parse("10.88.0.77").value());
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->address.to_string(), "10.88.0.77");
  EXPECT_EQ(give(p, "other"), "10.88.0.2") << "a static address does not move the round-robin cursor";
}

TEST_F(AddressPoolTest, RequestedAddressIsRefusedWhenTakenReservedOrOutside) {
  auto p = pool("10.88.0.0/24");
  ASSERT_TRUE(p.allocate("web", IpAddress::parse("10.88.0.77").value()).ok());
  struct Case {
    const char* address;
    const char* says;
  };
  for (const Case& c : {Case{"10.88.0.77", "already allocated to container \"web\""}, Case{"10.88.0.1", "gateway"},
                        Case{"10.88.0.0", "network address"}, Case{"10.88.0.255", "broadcast"},
                        Case{"10.89.0.5", "not in subnet 10.88.0.0/24"}, Case{"fd00::5", "not in subnet"}}) {
    auto a = p.allocate("db", IpAddress::parse(c.address).value());
    ASSERT_FALSE(a.ok()) << c.address;
    EXPECT_NE(a.error().message().find(c.says), std::string::npos) << a.error().message();
    EXPECT_NE(a.error().message().find(c.address), std::string::npos) << a.error().message();
  }
  auto moved = p.allocate("web", IpAddress::parse("10.88.0.78").value());
  ASSERT_FALSE(moved.ok());
  EXPECT_NE(moved.error().message().find("already holds 10.88.0.77"), std::string::npos) << moved.error().message();
}

TEST_F(AddressPoolTest, AllocationsSurviveReopening) {
  {
    auto p = pool("10.88.0.0/16");
    EXPECT_EQ(give(p, "c1"), "10.88.0.2");
    EXPECT_EQ(give(p, "c2"), "10.88.0.3");
    ASSERT_TRUE(p.release("c1").ok());
  }
  auto p = pool("10.88.0.0/16");
  auto all = p.allocations().value();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all.at("c2").to_string(), "10.88.0.3");
  EXPECT_EQ(give(p, "c3"), "10.88.0.4") << "the round-robin cursor is persisted too";
  auto text = read_file(p.record_path() + "/pool.json").value();
  EXPECT_NE(text.find("\"version\": 2"), std::string::npos) << text;
  EXPECT_NE(text.find("10.88.0.0/16"), std::string::npos) << text;
}

TEST_F(AddressPoolTest, PoolOfAnotherSubnetOrNewerVersionIsNotMisread) {
  std::string meta;
  {
    auto p = pool("10.88.0.0/16");
    EXPECT_EQ(give(p, "c1"), "10.88.0.2");
    meta = p.record_path() + "/pool.json";
  }
  auto text = read_file(meta).value();
  auto at = text.find("\"version\": 2");
  ASSERT_NE(at, std::string::npos);
  std::string newer = text;
  newer.replace(at, 12, "\"version\": 9");
  ASSERT_TRUE(write_file(meta, newer).ok());
  auto r = AddressPool::open(tmp_.path("ipam"), Subnet::parse("10.88.0.0/16").value());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("newer"), std::string::npos) << r.error().message();
  ASSERT_TRUE(write_file(meta, "{ not json").ok());
  EXPECT_FALSE(AddressPool::open(tmp_.path("ipam"), Subnet::parse("10.88.0.0/16").value()).ok());
}

// What berth wrote before allocation directories: one record per subnet (cereal writes a map
// as an array of key/value objects).
std::string legacy_record(const std::string& subnet, const std::string& last,
                          const std::vector<std::pair<std::string, std::string>>& allocations) {
  std::string entries;
  for (const auto& [id, address] : allocations) {
    if (!entries.empty()) entries += ", ";
    entries += R"({"key": ")";
    entries += id;
    entries += R"(", "value": ")";
    entries += address;
    entries += R"("})";
  }
  return R"({"pool": {"version": 1, "subnet": ")" + subnet + R"(", "last_allocated": ")" + last +
         R"(", "allocations": [)" + entries + "]}}";
}

TEST_F(AddressPoolTest, OldRecordIsMovedIntoTheDirectoryOnce) {
  ASSERT_TRUE(mkdir_p(tmp_.path("ipam")).ok());
  const std::string old_record = tmp_.path("ipam/10.88.0.0_16.json");
  ASSERT_TRUE(
      write_file(old_record, legacy_record("10.88.0.0/16", "10.88.0.9", {{"web", "10.88.0.9"}, {"db", "10.88.0.3"}}))
          .ok());
  auto p = pool("10.88.0.0/16");
  auto all = p.allocations().value();
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all.at("web").to_string(), "10.88.0.9");
  EXPECT_EQ(all.at("db").to_string(), "10.88.0.3");
  EXPECT_EQ(give(p, "web"), "10.88.0.9") << "a migrated container keeps its address";
  EXPECT_EQ(give(p, "new"), "10.88.0.10") << "the round robin goes on after the old record's last address";
  EXPECT_FALSE(path_exists(old_record));
  EXPECT_TRUE(path_exists(old_record + ".migrated"));
  EXPECT_EQ(pool("10.88.0.0/16").allocations().value().size(), 3U) << "reopening migrates nothing again";
}

TEST_F(AddressPoolTest, UnreadableOldRecordIsRefusedNamingIt) {
  ASSERT_TRUE(mkdir_p(tmp_.path("ipam")).ok());
  const std::string old_record = tmp_.path("ipam/10.88.0.0_16.json");
  ASSERT_TRUE(write_file(old_record, legacy_record("10.99.0.0/16", "", {{"web", "10.99.0.2"}})).ok());
  auto p = AddressPool::open(tmp_.path("ipam"), Subnet::parse("10.88.0.0/16").value());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find(old_record), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("holds subnet 10.99.0.0/16"), std::string::npos) << p.error().message();
  EXPECT_TRUE(path_exists(old_record)) << "a record that was not moved stays where it was";
}

TEST_F(AddressPoolTest, ContainerIdsThatAreNotFileNamesWork) {
  auto p = pool("10.88.0.0/24");
  for (const char* id : {"a/b", ".hidden", "..", "sp ace", "\xc3\xbc"}) {
    const std::string address = give(p, id);
    EXPECT_EQ(give(p, id), address) << id;
  }
  auto all = p.allocations().value();
  EXPECT_EQ(all.size(), 5U);
  EXPECT_EQ(all.at("a/b").to_string(), "10.88.0.2");
  ASSERT_TRUE(p.release("a/b").ok());
  ASSERT_TRUE(p.release("..").ok());
  EXPECT_EQ(p.allocations().value().size(), 3U);
  EXPECT_FALSE(p.allocate(std::string(300, 'x')).ok()) << "an id too long for the index is refused";
}

TEST_F(AddressPoolTest, LeftoversOfACrashAreIgnoredAndRecovered) {
  auto p = pool("10.88.0.0/24");
  // A crash between claiming an address and indexing it, and an index entry left stale.
  ASSERT_EQ(::symlink("ghost", (p.record_path() + "/addresses/10.88.0.2").c_str()), 0);
  ASSERT_EQ(::symlink("10.88.0.9", (p.record_path() + "/containers/web").c_str()), 0);
  EXPECT_EQ(give(p, "web"), "10.88.0.3") << "the stale index entry is not an allocation, and .2 is taken";
  EXPECT_EQ(p.allocations().value().at("ghost").to_string(), "10.88.0.2");
  auto released = p.recover({"web"});
  ASSERT_TRUE(released.ok()) << released.error().message();
  EXPECT_EQ(*released, std::vector<std::string>{"ghost"});
  auto all = p.allocations().value();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all.at("web").to_string(), "10.88.0.3");
}

TEST_F(AddressPoolTest, ReleaseIsIdempotent) {
  auto p = pool("10.88.0.0/24");
  EXPECT_TRUE(p.release("never").ok());
  EXPECT_EQ(give(p, "c1"), "10.88.0.2");
  EXPECT_TRUE(p.release("c1").ok());
  EXPECT_TRUE(p.release("c1").ok());
  EXPECT_TRUE(p.allocations().value().empty());
}

TEST_F(AddressPoolTest, RecoverReleasesUnknownContainersOnly) {
  auto p = pool("10.88.0.0/24");
  give(p, "keep1");
  give(p, "gone1");
  give(p, "keep2");
  give(p, "gone2");
  auto released = p.recover({"keep1", "keep2", "not-allocated"});
  ASSERT_TRUE(released.ok()) << released.error().message();
  EXPECT_EQ(*released, (std::vector<std::string>{"gone1", "gone2"}));
  auto all = p.allocations().value();
  EXPECT_EQ(all.size(), 2U);
  EXPECT_EQ(all.at("keep1").to_string(), "10.88.0.2");
  EXPECT_EQ(all.at("keep2").to_string(), "10.88.0.4");
}

// In a /26 (61 container addresses) two processes take 30 each: they collide on every address
// they both try, and the one that loses must take another.
TEST_F(AddressPoolTest, TwoProcessesNeverGetTheSameAddress) {
  constexpr int kPerProcess = 30;
  const std::string dir = tmp_.path("ipam");
  std::vector<pid_t> children;
  for (int child = 0; child < 2; ++child) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Each child opens its own pool: only the state dir (and its lock) is shared.
      auto p = AddressPool::open(dir, Subnet::parse("10.88.0.0/26").value());
      if (!p) ::_exit(2);
      std::string got;  // what this child was handed, one address a line
      for (int i = 0; i < kPerProcess; ++i) {
        auto a = p->allocate("p" + std::to_string(child) + "-" + std::to_string(i));
        if (!a) ::_exit(3);
        got += a->address.to_string() + "\n";
      }
      ::_exit(write_file(tmp_.path("got" + std::to_string(child)), got).ok() ? 0 : 4);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  std::set<std::string> handed_out;
  for (int child = 0; child < 2; ++child) {
    std::string got = read_file(tmp_.path("got" + std::to_string(child))).value();
    for (size_t at = 0, end = 0; (end = got.find('\n', at)) != std::string::npos; at = end + 1) {
      EXPECT_TRUE(handed_out.insert(got.substr(at, end - at)).second)
          << got.substr(at, end - at) << " was handed out twice";
    }
  }
  EXPECT_EQ(handed_out.size(), 2U * kPerProcess);
  auto all = pool("10.88.0.0/26").allocations().value();
  EXPECT_EQ(all.size(), 2U * kPerProcess) << "an allocation was lost (a write raced another)";
}

}  // namespace
}  // namespace berth::ipam
