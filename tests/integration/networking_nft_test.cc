// Port mapping through a real nftables table: what `nft` sees after each change, ports taken
// by a host process or another container, reconciliation, migration of a table made before
// the maps, and real TCP/UDP traffic from the host's loopback and from another "host" (a
// namespace behind a veth) into a container namespace. Each test programs its own table
// berth-t<pid> and removes it afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/fd.h"
#include "common/file.h"
#include "networking/nft/nat_table.h"
#include "networking/nft/port_maps.h"
#include "networking/nft/rule_builder.h"
#include "tests/integration/support/fixture.h"
#include "tests/integration/support/networking.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {
namespace {

using nft::NatTable;
using nft::PortMapping;
using nft::Protocol;

networking::IpAddress ip(const std::string& text) { return networking::IpAddress::parse(text).value(); }

// Per process, so that parallel runs and other workers on the host do not collide.
int pid_slot() { return static_cast<int>(::getpid() % 250); }
std::string container_net() { return "10.213." + std::to_string(pid_slot()); }
std::string remote_net() { return "10.214." + std::to_string(pid_slot()); }

class NftTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    skip_unless_root();
    if (!run_cmd({"nft", "--version"}).ok()) GTEST_SKIP() << "needs the nft command to inspect the table";
    name_ = berth_name("t");
    auto t = NatTable::open(name_);
    ASSERT_TRUE(t.ok()) << t.error().message();
    table_.emplace(std::move(t).value());
    auto s = table_->ensure({networking::Subnet::parse(container_net() + ".0/24").value()});
    ASSERT_TRUE(s.ok()) << s.error().message();
  }
  void TearDown() override {
    for (const std::string& name : other_tables_) (void)run_cmd({"nft", "delete", "table", "inet", name});
    if (!table_) return;
    auto s = table_->remove_table();
    EXPECT_TRUE(s.ok()) << s.error().message();
    // Belt and braces: a test that failed half-way must still leave no table.
    (void)run_cmd({"nft", "delete", "table", "inet", name_});
  }

  // `nft -j list table inet <name>`, the "nftables" array.
  rapidjson::Document listing() {
    RunResult r = run_cmd({"nft", "-j", "list", "table", "inet", name_});
    EXPECT_TRUE(r.ok()) << r;
    rapidjson::Document doc = parse_json(r.out);
    EXPECT_FALSE(doc.HasParseError()) << r.out;
    return doc;
  }
  // The comments of the rules in `chain`, one entry per rule ("" for none).
  std::vector<std::string> rule_comments(const std::string& chain) {
    std::vector<std::string> out;
    rapidjson::Document doc = listing();
    if (!doc.IsObject() || !doc.HasMember("nftables")) return out;
    for (const auto& item : doc["nftables"].GetArray()) {
      if (!item.HasMember("rule")) continue;
      const auto& rule = item["rule"];
      if (std::string(rule["chain"].GetString()) != chain) continue;
      out.emplace_back(rule.HasMember("comment") ? rule["comment"].GetString() : "");
    }
    return out;
  }
  // The comments of the elements of the four port maps, one entry per element ("" for none).
  std::vector<std::string> element_comments() {
    std::vector<std::string> out;
    rapidjson::Document doc = listing();
    if (!doc.IsObject() || !doc.HasMember("nftables")) return out;
    for (const auto& item : doc["nftables"].GetArray()) {
      if (!item.HasMember("map") || !item["map"].HasMember("elem")) continue;
      // Each element is [key, data]; a commented key is {"elem": {"val": ..., "comment": ...}}.
      for (const auto& pair : item["map"]["elem"].GetArray()) {
        const auto& key = pair.GetArray()[0];
        const bool commented = key.IsObject() && key.HasMember("elem") && key["elem"].HasMember("comment");
        out.emplace_back(commented ? key["elem"]["comment"].GetString() : "");
      }
    }
    return out;
  }
  // `nft <args...>` on this test's table, e.g. {"delete", "element", ..., "ports4", "{ udp . 53 }"}.
  RunResult nft_on_table(const std::string& verb, const std::string& object, const std::string& name,
                         const std::string& rest) {
    return run_cmd({"nft", verb, object, "inet", name_, name, rest});
  }
  // Makes the table as a berth from before the maps did: a ports chain with one tagged DNAT
  // rule per published port.
  void make_legacy_table(const std::vector<std::pair<std::string, PortMapping>>& ports) {
    ASSERT_TRUE(table_->remove_table().ok());
    nft::TablePtr table(nftnl_table_alloc());
    nftnl_table_set_str(table.get(), NFTNL_TABLE_NAME, name_.c_str());
    nft::ChainPtr chain(nftnl_chain_alloc());
    nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, name_.c_str());
    nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, "ports");
    nft::Batch batch;
    batch.add_table(table.get(), "create table");
    batch.add_chain(chain.get(), "create chain ports");
    for (const auto& [id, mapping] : ports) {
      batch.add_rule(nft::legacy_dnat_rule(name_, id, mapping).get(), "add rule for " + id);
    }
    auto socket = nft::NftSocket::open();
    ASSERT_TRUE(socket.ok()) << socket.error().message();
    auto s = socket->commit(batch);
    ASSERT_TRUE(s.ok()) << s.error().message();
    ASSERT_EQ(rule_comments("ports").size(), ports.size());
  }

  static std::vector<nft::PublishedPort> sorted(std::vector<nft::PublishedPort> ports) {
    std::sort(ports.begin(), ports.end(), [](const nft::PublishedPort& a, const nft::PublishedPort& b) {
      return std::pair{a.container_id, a.mapping.to_string()} < std::pair{b.container_id, b.mapping.to_string()};
    });
    return ports;
  }
  static size_t count(const std::vector<std::string>& v, const std::string& what) {
    return static_cast<size_t>(std::count(v.begin(), v.end(), what));
  }

  static PortMapping tcp(uint16_t host_port, uint16_t container_port) {
    return PortMapping{Protocol::kTcp, std::nullopt, host_port, std::nullopt, ip(container_net() + ".2"),
                       container_port};
  }
  static PortMapping udp(uint16_t host_port, uint16_t container_port) {
    PortMapping m = tcp(host_port, container_port);
    m.protocol = Protocol::kUdp;
    return m;
  }

  // Another berth table in this namespace, as a second bridge network has (deleted in TearDown).
  Result<NatTable> open_other_table(std::string_view tag) {
    other_tables_.push_back(berth_name(tag));
    BERTH_ASSIGN(NatTable t, NatTable::open(other_tables_.back()));
    BERTH_TRY(t.ensure({networking::Subnet::parse(remote_net() + ".0/24").value()}));
    return t;
  }

  std::string name_;
  std::optional<NatTable> table_;
  std::vector<std::string> other_tables_;
};

TEST_F(NftTableTest, EnsureCreatesNatChainsVisibleToNft) {
  rapidjson::Document doc = listing();
  std::map<std::string, std::string> hooks;  // chain -> hook ("" for a regular chain)
  for (const auto& item : doc["nftables"].GetArray()) {
    if (!item.HasMember("chain")) continue;
    const auto& c = item["chain"];
    hooks[c["name"].GetString()] = c.HasMember("hook") ? c["hook"].GetString() : "";
    if (c.HasMember("type")) {
      EXPECT_STREQ(c["type"].GetString(), "nat");
    }
  }
  EXPECT_EQ(hooks,
            (std::map<std::string, std::string>{
                {"ports", ""}, {"prerouting", "prerouting"}, {"output", "output"}, {"postrouting", "postrouting"}}));
  RunResult text = run_cmd({"nft", "list", "table", "inet", name_});
  EXPECT_NE(text.out.find("fib daddr type local jump ports"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("ip saddr 127.0.0.0/8 ct status dnat masquerade"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("dnat ip to ip daddr . meta l4proto . th dport map @ports4addr"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("dnat ip6 to meta l4proto . th dport map @ports6"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("type inet_proto . inet_service : ipv4_addr . inet_service"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service"), std::string::npos)
      << text.out;
  // ensure() again keeps one copy of each fixed rule, and the maps.
  ASSERT_TRUE(table_->ensure({networking::Subnet::parse(container_net() + ".0/24").value()}).ok());
  EXPECT_EQ(rule_comments("prerouting").size(), 1U);
  EXPECT_EQ(rule_comments("postrouting").size(), 3U);
  EXPECT_EQ(rule_comments("ports").size(), 4U) << "one lookup per map";
}

TEST_F(NftTableTest, PublishedPortsShowInNftAsCommentedMapElements) {
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  PortMapping on_loopback = tcp(port, 80);
  on_loopback.host_ip = ip("127.0.0.1");
  ASSERT_TRUE(table_->publish("web", {udp(port, 53), on_loopback}).ok());
  RunResult text = run_cmd({"nft", "list", "table", "inet", name_});
  ASSERT_TRUE(text.ok()) << text;
  const std::string p = std::to_string(port);
  EXPECT_NE(text.out.find("udp . " + p + " comment \"berth:web\" : " + container_net() + ".2 . 53"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("127.0.0.1 . tcp . " + p + " comment \"berth:web\" : " + container_net() + ".2 . 80"),
            std::string::npos)
      << text.out;
  EXPECT_EQ(rule_comments("ports").size(), 4U) << "publishing adds no rule";
}

TEST_F(NftTableTest, PublishedPortsAreTaggedAndUnpublishLeavesNone) {
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  PortMapping range = udp(port, 5000);
  range.host_port_last = static_cast<uint16_t>(port + 2);
  ASSERT_TRUE(table_->publish("web", {tcp(port, 80), range}).ok());
  ASSERT_TRUE(table_->publish("db", {tcp(static_cast<uint16_t>(port + 1), 5432)}).ok());
  auto comments = element_comments();
  EXPECT_EQ(count(comments, "berth:web"), 4U) << "one TCP element and three UDP elements for the range";
  EXPECT_EQ(count(comments, "berth:db"), 1U);
  auto published = table_->published();
  ASSERT_TRUE(published.ok()) << published.error().message();
  ASSERT_EQ(published->size(), 5U);
  EXPECT_NE(std::find(published->begin(), published->end(), nft::PublishedPort{"web", tcp(port, 80)}),
            published->end());

  ASSERT_TRUE(table_->unpublish("web").ok());
  comments = element_comments();
  EXPECT_EQ(count(comments, "berth:web"), 0U);
  EXPECT_EQ(count(comments, "berth:db"), 1U) << "another container's ports stay";
  EXPECT_TRUE(table_->unpublish("web").ok()) << "unpublishing twice is not an error";
  ASSERT_TRUE(table_->unpublish("db").ok());
  EXPECT_TRUE(element_comments().empty());
}

TEST_F(NftTableTest, PortHeldByHostProcessIsRefused) {
  auto listener = listen_tcp(ip("127.0.0.1"));
  ASSERT_TRUE(listener.ok()) << listener.error().message();
  const uint16_t port = listener->port;

  auto s = table_->publish("web", {tcp(port, 80)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EADDRINUSE);
  EXPECT_NE(s.error().message().find("host port tcp/" + std::to_string(port) + " is taken by a process on the host"),
            std::string::npos)
      << s.error().message();
  EXPECT_TRUE(element_comments().empty()) << "nothing was half-published";
  EXPECT_TRUE(table_->publish("web", {udp(port, 80)}).ok()) << "the UDP port of the same number is free";
  PortMapping elsewhere = tcp(port, 80);
  elsewhere.host_ip = ip("198.51.100.123");  // TEST-NET-2: not an address of this host
  auto foreign = table_->publish("web", {elsewhere});
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message().find("198.51.100.123 is not an address of this host"), std::string::npos)
      << foreign.error().message();
}

TEST_F(NftTableTest, PortPublishedForAnotherContainerIsRefused) {
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  ASSERT_TRUE(table_->publish("web", {tcp(port, 80)}).ok());
  auto s = table_->publish("api", {tcp(static_cast<uint16_t>(port + 1), 81), tcp(port, 80)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("is already published for container \"web\""), std::string::npos)
      << s.error().message();
  auto comments = element_comments();
  EXPECT_EQ(count(comments, "berth:api"), 0U) << "all or nothing: the free port was not published either";
  PortMapping on_loopback = tcp(port, 80);
  on_loopback.host_ip = ip("127.0.0.1");
  EXPECT_FALSE(table_->publish("api", {on_loopback}).ok()) << "every address includes 127.0.0.1";
}

// Two processes publish the same ports at once; each host port must end up published once.
void publish_from_two_processes(const std::string& name, const std::string& lock_path,
                                const std::function<PortMapping(uint16_t)>& tcp) {
  constexpr int kPorts = 40;
  const uint16_t base = free_host_port(SocketKind::kTcp).value();
  std::vector<pid_t> children;
  for (int child = 0; child < 2; ++child) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto t = NatTable::open(name, lock_path);
      if (!t) ::_exit(2);
      // Each tries every port; whoever comes second must be refused.
      for (int i = 0; i < kPorts; ++i) (void)t->publish("child" + std::to_string(child), {tcp(base + i)});
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  auto table = NatTable::open(name);
  ASSERT_TRUE(table.ok());
  auto published = table->published();
  ASSERT_TRUE(published.ok()) << published.error().message();
  std::map<uint16_t, int> rules_per_port;
  for (const auto& p : *published) ++rules_per_port[p.mapping.host_port];
  EXPECT_FALSE(rules_per_port.empty());
  for (const auto& [port, n] : rules_per_port)
    EXPECT_EQ(n, 1) << "host port " << port << " was published " << n << " times";
}

TEST_F(NftTableTest, TwoProcessesNeverPublishOneHostPortTwice) {
  const std::string lock_path = "/tmp/" + name_ + ".lock";
  publish_from_two_processes(name_, lock_path, [](uint16_t port) { return tcp(port, 80); });
  (void)::unlink(lock_path.c_str());
}

// Without the lock, the kernel's generation check is what keeps the check and the commit
// together: a batch built on an outdated view is refused and built again.
TEST_F(NftTableTest, TwoProcessesWithoutTheLockNeverPublishOneHostPortTwice) {
  publish_from_two_processes(name_, {}, [](uint16_t port) { return tcp(port, 80); });
}

TEST_F(NftTableTest, ReconcileDropsUnknownContainersAndRestoresMissingRules) {
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  const std::vector<PortMapping> web = {tcp(port, 80), udp(port, 53)};
  ASSERT_TRUE(table_->publish("web", web).ok());
  ASSERT_TRUE(table_->publish("gone", {tcp(static_cast<uint16_t>(port + 1), 80)}).ok());
  ASSERT_EQ(table_->published().value().size(), 3U);
  // Someone deletes one of web's ports behind berth's back.
  RunResult del = nft_on_table("delete", "element", "ports4", "{ udp . " + std::to_string(port) + " }");
  ASSERT_TRUE(del.ok()) << del;

  auto report = table_->reconcile({{"web", web}});
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->removed, std::vector<std::string>{"gone: " + tcp(static_cast<uint16_t>(port + 1), 80).to_string()});
  EXPECT_EQ(report->added, std::vector<std::string>{"web: " + udp(port, 53).to_string()});
  auto comments = element_comments();
  EXPECT_EQ(count(comments, "berth:web"), 2U);
  EXPECT_EQ(count(comments, "berth:gone"), 0U);
  auto again = table_->reconcile({{"web", web}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->removed.empty() && again->added.empty()) << "a second reconcile changes nothing";
}

TEST_F(NftTableTest, ReconcileReplacesElementsWithOtherDataAndForeignOnes) {
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  const std::string p = std::to_string(port);
  ASSERT_TRUE(table_->publish("web", {tcp(port, 80)}).ok());
  // Behind berth's back: web's port now leads elsewhere, and an untagged element appears.
  ASSERT_TRUE(nft_on_table("delete", "element", "ports4", "{ tcp . " + p + " }").ok());
  RunResult add = nft_on_table(
      "add", "element", "ports4",
      "{ tcp . " + p + " : " + container_net() + ".9 . 81, udp . " + p + " : " + container_net() + ".9 . 81 }");
  ASSERT_TRUE(add.ok()) << add;
  auto report = table_->reconcile({{"web", {tcp(port, 80)}}});
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->removed.size(), 2U);
  EXPECT_EQ(report->added, std::vector<std::string>{"web: " + tcp(port, 80).to_string()});
  auto published = table_->published();
  ASSERT_TRUE(published.ok()) << published.error().message();
  EXPECT_EQ(*published, (std::vector<nft::PublishedPort>{{"web", tcp(port, 80)}}));
  EXPECT_EQ(element_comments(), std::vector<std::string>{"berth:web"});
}

TEST_F(NftTableTest, WholePortRangeIsAppliedAndRemovedInOneBatchEach) {
  // Reconcile does not probe host ports, so the range need not be free on this host. On an
  // address this host does not have (TEST-NET-2), so the range never catches real traffic.
  PortMapping range = tcp(1, 1);
  range.host_port_last = 65535;
  range.host_ip = ip("198.51.100.123");
  // The longest id makes the largest elements: the batch must still fit the socket's limits.
  const std::string big(nft::kMaxTaggedIdLength, 'b');
  auto added = table_->reconcile({{big, {range}}});
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_EQ(added->added.size(), 65535U);
  auto published = table_->published();
  ASSERT_TRUE(published.ok()) << published.error().message();
  EXPECT_EQ(published->size(), 65535U);
  ASSERT_TRUE(table_->unpublish(big).ok());
  EXPECT_TRUE(table_->published().value().empty());
}

TEST_F(NftTableTest, RemovingTheTableLeavesNothing) {
  ASSERT_TRUE(table_->publish("web", {tcp(free_host_port(SocketKind::kTcp).value(), 80)}).ok());
  ASSERT_TRUE(table_->remove_table().ok());
  RunResult r = run_cmd({"nft", "list", "table", "inet", name_});
  EXPECT_FALSE(r.ok()) << "the table is still there:\n" << r.out;
  RunResult all = run_cmd({"nft", "list", "tables"});
  EXPECT_EQ(all.out.find(name_), std::string::npos) << all.out;
  EXPECT_TRUE(table_->remove_table().ok()) << "removing a missing table is not an error";
  auto unpublished = table_->unpublish("web");
  EXPECT_TRUE(unpublished.ok()) << "unpublishing from a missing table is not an error: "
                                << unpublished.error().message();
  auto published = table_->published();
  ASSERT_TRUE(published.ok()) << published.error().message();
  EXPECT_TRUE(published->empty());
}

// Two NatTable objects on one table stand for two berth processes: each keeps an index of the
// ports chain, and must still see what the other one changed.
TEST_F(NftTableTest, ChangesThroughAnotherTableObjectAreSeen) {
  auto other = NatTable::open(name_);
  ASSERT_TRUE(other.ok()) << other.error().message();
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  ASSERT_TRUE(other->publish("api", {udp(port, 81)}).ok());  // `other` has read the chain now
  ASSERT_TRUE(table_->publish("web", {tcp(port, 80)}).ok());
  auto taken = other->publish("db", {tcp(port, 80)});
  ASSERT_FALSE(taken.ok()) << "the port published through the other object was published twice";
  EXPECT_NE(taken.error().message().find("is already published for container \"web\""), std::string::npos)
      << taken.error().message();
  ASSERT_TRUE(other->unpublish("web").ok());
  auto comments = element_comments();
  EXPECT_EQ(count(comments, "berth:web"), 0U);
  EXPECT_EQ(count(comments, "berth:api"), 1U);
  auto freed = table_->publish("db", {tcp(port, 80)});
  EXPECT_TRUE(freed.ok()) << "the port unpublished through the other object is free again: "
                          << (freed.ok() ? "" : freed.error().message());
}

// The ruleset generation moves with every change in the namespace; the index must not be read
// again for changes to other tables, only for changes to this one by someone else.
TEST_F(NftTableTest, ChangesToAnotherTableDoNotReadTheMapsAgain) {
  auto other = open_other_table("u");
  ASSERT_TRUE(other.ok()) << other.error().message();
  const uint16_t base = free_host_port(SocketKind::kUdp).value();
  auto port = [&](int i) { return static_cast<uint16_t>(base + i); };
  ASSERT_TRUE(table_->publish("a0", {udp(port(0), 80)}).ok());  // the index is read now
  const uint64_t reloads = table_->index_reloads();
  for (int i = 1; i <= 20; ++i) {
    auto theirs = other->publish("b" + std::to_string(i), {udp(port(i), 80)});
    ASSERT_TRUE(theirs.ok()) << theirs.error().message();
    auto ours = table_->publish("a" + std::to_string(i), {udp(port(i), 80)});
    ASSERT_TRUE(ours.ok()) << ours.error().message();
  }
  ASSERT_TRUE(table_->unpublish("a1").ok());
  EXPECT_EQ(table_->index_reloads(), reloads) << "20 publishes in another table made this one read its maps again";
  EXPECT_EQ(element_comments().size(), 20U);

  auto same = NatTable::open(name_);
  ASSERT_TRUE(same.ok()) << same.error().message();
  ASSERT_TRUE(same->publish("c", {udp(port(30), 80)}).ok());
  ASSERT_TRUE(table_->publish("a1", {udp(port(1), 80)}).ok());
  EXPECT_EQ(table_->index_reloads(), reloads + 1) << "a change to this table through another object is read back";
}

TEST_F(NftTableTest, PortPublishedThroughAnotherObjectAmidOtherTablesChangesIsSeen) {
  auto other = open_other_table("u");
  ASSERT_TRUE(other.ok()) << other.error().message();
  auto same = NatTable::open(name_);
  ASSERT_TRUE(same.ok()) << same.error().message();
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  ASSERT_TRUE(table_->publish("web", {udp(port, 53)}).ok());  // the index is read now
  ASSERT_TRUE(other->publish("x", {tcp(port, 80)}).ok());
  ASSERT_TRUE(same->publish("api", {tcp(port, 80)}).ok());
  ASSERT_TRUE(other->publish("y", {udp(port, 53)}).ok());
  auto taken = table_->publish("db", {tcp(port, 80)});
  ASSERT_FALSE(taken.ok()) << "the port published through the other object was published twice";
  EXPECT_NE(taken.error().message().find("is already published for container \"api\""), std::string::npos)
      << taken.error().message();
}

TEST_F(NftTableTest, UnpublishRemovesElementsAfterAChangeBehindBerthsBack) {
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  ASSERT_TRUE(table_->publish("web", {tcp(port, 80), udp(port, 53)}).ok());
  ASSERT_EQ(table_->published().value().size(), 2U);
  RunResult del = nft_on_table("delete", "element", "ports4", "{ tcp . " + std::to_string(port) + " }");
  ASSERT_TRUE(del.ok()) << del;
  auto s = table_->unpublish("web");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_TRUE(element_comments().empty());
}

TEST_F(NftTableTest, EnsureTurnsRulesOfATableFromBeforeTheMapsIntoElements) {
  PortMapping on_loopback = tcp(8081, 81);
  on_loopback.host_ip = ip("127.0.0.1");
  PortMapping v6{Protocol::kUdp, ip("fd00:be7::1"), 53, std::nullopt, ip("fd00:be7::2"), 5353};
  const std::vector<nft::PublishedPort> before = {
      {"dns", udp(5353, 53)}, {"dns", v6}, {"web", on_loopback}, {"web", tcp(8080, 80)}};
  std::vector<std::pair<std::string, PortMapping>> rules;
  rules.reserve(before.size());
  for (const auto& p : before) rules.emplace_back(p.container_id, p.mapping);
  make_legacy_table(rules);
  if (HasFatalFailure()) return;

  auto s = table_->ensure({networking::Subnet::parse(container_net() + ".0/24").value()});
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto published = table_->published();
  ASSERT_TRUE(published.ok()) << published.error().message();
  EXPECT_EQ(sorted(*published), sorted(before));
  EXPECT_EQ(rule_comments("ports"), std::vector<std::string>(4, "")) << "just the four lookups are left";
  EXPECT_EQ(count(element_comments(), "berth:web"), 2U);
  ASSERT_TRUE(table_->unpublish("web").ok());
  EXPECT_EQ(table_->published().value().size(), 2U);
}

TEST_F(NftTableTest, BatchAtAnOutdatedGenerationChangesNothing) {
  auto socket = nft::NftSocket::open();
  ASSERT_TRUE(socket.ok()) << socket.error().message();
  const uint32_t before = socket->generation().value();
  ASSERT_TRUE(table_->publish("web", {tcp(free_host_port(SocketKind::kTcp).value(), 80)}).ok());
  const uint32_t now = socket->generation().value();
  EXPECT_NE(now, before) << "a committed batch moves the generation";
  auto published = table_->published().value();
  ASSERT_EQ(published.size(), 1U);
  const nft::PortElement web = nft::port_element("web", published[0].mapping);
  auto messages = nft::element_messages(name_, web.map, {web}, true);
  nft::Batch unpublish;
  unpublish.delete_elements(messages.at(0).get(), "delete web's element");
  auto stale = socket->commit_at(unpublish, before);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code(), ERESTART) << stale.error().message();
  EXPECT_EQ(count(element_comments(), "berth:web"), 1U) << "the refused batch changed the table";
  auto current = socket->commit_at(unpublish, now);
  ASSERT_TRUE(current.ok()) << current.error().message();
  EXPECT_TRUE(element_comments().empty());
}

// A container namespace (10.213.N.2 behind berth-c<pid>) and a remote host namespace
// (10.214.N.2 behind berth-r<pid>), the host forwarding between them.
class PublishedPortTrafficTest : public NftTableTest {
 protected:
  void SetUp() override {
    NftTableTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    container_.emplace(name_ + "-c", berth_name("c"), container_net() + ".1/24", container_net() + ".2/24");
    ASSERT_TRUE(container_->ok()) << container_->error();
    remote_.emplace(name_ + "-r", berth_name("r"), remote_net() + ".1/24", remote_net() + ".2/24");
    ASSERT_TRUE(remote_->ok()) << remote_->error();
    forward_.emplace("net/ipv4/ip_forward", "1");
    ASSERT_TRUE(forward_->ok()) << forward_->error();
    // The host's 127.0.0.1 traffic leaves through the container-facing veth (see nat_table.h);
    // the setting goes away with the veth.
    auto localnet = nft::enable_route_localnet(container_->host_if());
    ASSERT_TRUE(localnet.ok()) << localnet.error().message();
    server_.emplace(container_->fd(), kContainerPort);
    ASSERT_TRUE(server_->ok()) << server_->error();
  }
  void TearDown() override {
    server_.reset();
    forward_.reset();
    remote_.reset();
    container_.reset();
    NftTableTest::TearDown();
  }

  static constexpr uint16_t kContainerPort = 8000;
  std::optional<VethNamespace> container_;
  std::optional<VethNamespace> remote_;
  std::optional<SysctlOverride> forward_;
  std::optional<EchoServer> server_;
};

TEST_F(PublishedPortTrafficTest, PublishedPortIsReachableFromLoopbackAndFromAnotherHost) {
  const uint16_t tcp_port = free_host_port(SocketKind::kTcp).value();
  const uint16_t udp_port = free_host_port(SocketKind::kUdp).value();
  // Reached directly first: the plumbing works before any rule is involved.
  auto direct = exchange(-1, SocketKind::kTcp, container_net() + ".2", kContainerPort, "direct");
  ASSERT_TRUE(direct.ok()) << direct.error().message();

  ASSERT_TRUE(table_->publish("web", {tcp(tcp_port, kContainerPort), udp(udp_port, kContainerPort)}).ok());
  for (auto [kind, port] : {std::pair{SocketKind::kTcp, tcp_port}, std::pair{SocketKind::kUdp, udp_port}}) {
    const std::string proto = kind == SocketKind::kTcp ? "tcp" : "udp";
    auto from_loopback = exchange(-1, kind, "127.0.0.1", port, "lo-" + proto);
    ASSERT_TRUE(from_loopback.ok()) << proto << " from 127.0.0.1: " << from_loopback.error().message();
    EXPECT_EQ(*from_loopback, "pong lo-" + proto);
    auto from_remote = exchange(remote_->fd(), kind, remote_net() + ".1", port, "remote-" + proto);
    ASSERT_TRUE(from_remote.ok()) << proto << " from the other host: " << from_remote.error().message();
    EXPECT_EQ(*from_remote, "pong remote-" + proto);
  }

  EXPECT_EQ(server_->last_peer(), remote_net() + ".2") << "traffic from another host keeps its source address";

  ASSERT_TRUE(table_->unpublish("web").ok());
  auto after = exchange(-1, SocketKind::kTcp, "127.0.0.1", tcp_port, "after");
  EXPECT_FALSE(after.ok()) << "still reachable after unpublish: " << *after;
  auto remote_after = exchange(remote_->fd(), SocketKind::kTcp, remote_net() + ".1", tcp_port, "after");
  EXPECT_FALSE(remote_after.ok()) << "still reachable from the other host after unpublish";
}

TEST_F(PublishedPortTrafficTest, PortOnOneHostAddressAndPortOnEveryAddressBothWork) {
  const uint16_t any_port = free_host_port(SocketKind::kTcp).value();
  uint16_t one_port = free_host_port(SocketKind::kTcp).value();
  for (int i = 0; i < 10 && one_port == any_port; ++i) one_port = free_host_port(SocketKind::kTcp).value();
  ASSERT_NE(any_port, one_port);
  PortMapping on_remote_side = tcp(one_port, kContainerPort);
  on_remote_side.host_ip = ip(remote_net() + ".1");  // the host's address facing the other host
  ASSERT_TRUE(table_->publish("web", {tcp(any_port, kContainerPort), on_remote_side}).ok());
  for (uint16_t port : {any_port, one_port}) {
    auto r = exchange(remote_->fd(), SocketKind::kTcp, remote_net() + ".1", port, "remote");
    ASSERT_TRUE(r.ok()) << "port " << port << ": " << r.error().message();
    EXPECT_EQ(*r, "pong remote");
  }
  auto any = exchange(-1, SocketKind::kTcp, "127.0.0.1", any_port, "lo");
  ASSERT_TRUE(any.ok()) << any.error().message();
  auto other_address = exchange(-1, SocketKind::kTcp, "127.0.0.1", one_port, "lo");
  EXPECT_FALSE(other_address.ok()) << "a port published on one address is reachable on another";
}

TEST_F(PublishedPortTrafficTest, PortOfATableFromBeforeTheMapsStaysReachable) {
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  make_legacy_table({{"web", tcp(port, kContainerPort)}});
  if (HasFatalFailure()) return;
  ASSERT_TRUE(table_->ensure({networking::Subnet::parse(container_net() + ".0/24").value()}).ok());
  auto r = exchange(remote_->fd(), SocketKind::kTcp, remote_net() + ".1", port, "migrated");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "pong migrated");
  auto lo = exchange(-1, SocketKind::kTcp, "127.0.0.1", port, "migrated-lo");
  ASSERT_TRUE(lo.ok()) << lo.error().message();
}

TEST_F(PublishedPortTrafficTest, ContainerReachesItsOwnPublishedPortThroughTheHost) {
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  ASSERT_TRUE(table_->publish("web", {tcp(port, kContainerPort), udp(port, kContainerPort)}).ok());
  for (SocketKind kind : {SocketKind::kTcp, SocketKind::kUdp}) {
    // Hairpin: out to the host's address and DNATed straight back into the same namespace.
    auto r = exchange(container_->fd(), kind, container_net() + ".1", port, "hairpin");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(*r, "pong hairpin");
    EXPECT_EQ(server_->last_peer(), container_net() + ".1") << "hairpin traffic is masqueraded to the host";
  }
}

TEST_F(PublishedPortTrafficTest, ContainerEgressIsMasqueraded) {
  EchoServer remote_server(remote_->fd(), kContainerPort);
  ASSERT_TRUE(remote_server.ok()) << remote_server.error();
  auto r = exchange(container_->fd(), SocketKind::kTcp, remote_net() + ".2", kContainerPort, "out");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "pong out");
  EXPECT_EQ(remote_server.last_peer(), remote_net() + ".1") << "the other host sees the host's address";
}

TEST_F(PublishedPortTrafficTest, PublishedIpv6PortIsReachableFromAnotherHost) {
  // Forwarding IPv6 on just the two test interfaces needs force_forwarding (Linux 6.17);
  // the host-wide switch would stop the host from taking router advertisements.
  for (const VethNamespace* ns : {&*container_, &*remote_}) {
    if (!path_exists("/proc/sys/net/ipv6/conf/" + ns->host_if() + "/force_forwarding")) {
      GTEST_SKIP() << "needs net.ipv6.conf.<interface>.force_forwarding (Linux 6.17 or later)";
    }
  }
  const std::string slot = std::to_string(pid_slot());
  const std::string container6 = "fd00:be7:" + slot + "::";
  const std::string remote6 = "fd00:be8:" + slot + "::";
  ASSERT_TRUE(container_->add_ipv6(container6 + "1/64", container6 + "2/64")) << container_->error();
  ASSERT_TRUE(remote_->add_ipv6(remote6 + "1/64", remote6 + "2/64")) << remote_->error();
  // The settings go away with the interfaces.
  for (const VethNamespace* ns : {&*container_, &*remote_}) {
    auto s = write_existing("/proc/sys/net/ipv6/conf/" + ns->host_if() + "/force_forwarding", "1");
    ASSERT_TRUE(s.ok()) << s.error().message();
  }
  ASSERT_TRUE(table_
                  ->ensure({networking::Subnet::parse(container_net() + ".0/24").value(),
                            networking::Subnet::parse(container6 + "/64").value()})
                  .ok());
  const uint16_t port = free_host_port(SocketKind::kTcp).value();
  PortMapping tcp6{Protocol::kTcp, std::nullopt, port, std::nullopt, ip(container6 + "2"), kContainerPort};
  PortMapping udp6 = tcp6;
  udp6.protocol = Protocol::kUdp;
  auto published = table_->publish("web6", {tcp6, udp6});
  ASSERT_TRUE(published.ok()) << published.error().message();
  for (SocketKind kind : {SocketKind::kTcp, SocketKind::kUdp}) {
    auto r = exchange(remote_->fd(), kind, remote6 + "1", port, "v6");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(*r, "pong v6");
    EXPECT_EQ(server_->last_peer(), remote6 + "2");
  }
}

}  // namespace
}  // namespace berth::integration
