// The attachment records bridge mode keeps for crash recovery: what is saved reads back the
// same, an id cannot make a record land outside the store, detach's removal is idempotent,
// and a writer killed before its rename leaves a temp file that recovery can delete.
#include "networking/bridge/attachment_record.h"

#include <gtest/gtest.h>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::networking {
namespace {

AttachmentRecord sample(const std::string& id) {
  nft::PortMapping m;
  m.protocol = nft::Protocol::kUdp;
  m.host_ip = *IpAddress::parse("::1");
  m.host_port = 5300;
  m.host_port_last = 5301;
  m.container_ip = *IpAddress::parse("fd00:be7::2");
  m.container_port = 53;
  return {id,
          AttachPhase::kAttached,
          "berth0",
          "berthv01234567",
          "eth0",
          "berth-c1",
          {*IpAddress::parse("10.88.0.2"), *IpAddress::parse("fd00:be7::2")},
          {m}};
}

void expect_same(const AttachmentRecord& a, const AttachmentRecord& b) {
  EXPECT_EQ(a.container_id, b.container_id);
  EXPECT_EQ(a.phase, b.phase);
  EXPECT_EQ(a.bridge, b.bridge);
  EXPECT_EQ(a.host_veth, b.host_veth);
  EXPECT_EQ(a.ifname, b.ifname);
  EXPECT_EQ(a.netns, b.netns);
  EXPECT_EQ(a.addresses, b.addresses);
  EXPECT_EQ(a.published, b.published);
}

TEST(AttachmentRecords, SavedRecordReadsBackAndRemovalIsIdempotent) {
  TempDir dir("berth-attach-test-");
  auto store = AttachmentStore::open(dir.path("attachments"));
  ASSERT_TRUE(store) << store.error().message();
  const auto record = sample("web");
  ASSERT_TRUE(store->save(record));
  auto attaching = sample("db");
  attaching.phase = AttachPhase::kAttaching;
  attaching.published.clear();
  ASSERT_TRUE(store->save(attaching));
  auto all = store->load_all();
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), 2U);
  expect_same((*all)[0], attaching);
  expect_same((*all)[1], record);
  ASSERT_TRUE(store->remove("web"));
  ASSERT_TRUE(store->remove("web")) << "a second removal is fine";
  EXPECT_EQ(store->load_all()->size(), 1U);
}

TEST(AttachmentRecords, IdWithSlashesAndDotsStaysInsideTheStore) {
  TempDir dir("berth-attach-test-");
  auto store = AttachmentStore::open(dir.path("attachments"));
  ASSERT_TRUE(store);
  for (const std::string id : {"../../escape", ".hidden", "a/b", "ok-id_1.2"}) {
    ASSERT_TRUE(store->save(sample(id))) << id;
    EXPECT_EQ(dirname_of(store->path_of(id)), store->dir()) << id;
  }
  EXPECT_EQ(basename_of(store->path_of("ok-id_1.2")), "ok-id_1.2.json");
  EXPECT_EQ(list_dir(dir.path()).value(), std::vector<std::string>{"attachments"});
  EXPECT_EQ(store->load_all()->size(), 4U);
}

TEST(AttachmentRecords, TempFileOfAKilledWriterAndEmptiedRecordAreRemovedAndNotRead) {
  TempDir dir("berth-attach-test-");
  auto store = AttachmentStore::open(dir.path("attachments"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(write_file(store->path_of("web") + ".tmp.4242", "{\"attach"));
  ASSERT_TRUE(write_file(store->path_of("db"), ""));  // what a power loss can leave
  ASSERT_TRUE(store->save(sample("ok")));
  EXPECT_EQ(store->load_all()->size(), 1U);
  auto removed = store->remove_partial_writes();
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(removed->size(), 2U);
  ASSERT_TRUE(store->remove("ok"));
  EXPECT_TRUE(list_dir(store->dir())->empty());
}

TEST(AttachmentRecords, UnreadableRecordIsAnErrorNamingItsFile) {
  TempDir dir("berth-attach-test-");
  auto store = AttachmentStore::open(dir.path("attachments"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(write_file(store->path_of("web"), "{\"attachment\":{\"version\":99}}"));
  auto all = store->load_all();
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().message().find(store->path_of("web")), std::string::npos) << all.error().message();
}

}  // namespace
}  // namespace berth::networking
