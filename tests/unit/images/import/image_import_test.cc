#include "images/import/image_import.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/support/temp_dir.h"

namespace berth::images {
namespace {

TEST(ImportTransaction, RollbackRemovesOnlyBlobsNoImageRecordReferences) {
  TempDir dir("berth-import-tx-");
  ASSERT_FALSE(dir.path().empty());
  auto store = ContentStore::open(dir.path("store"));
  ASSERT_TRUE(store.ok()) << store.error().message();
  ASSERT_TRUE(store->put("already there").ok());
  {
    auto lock = store->lock(/*exclusive=*/false);
    ASSERT_TRUE(lock.ok()) << lock.error().message();
    ImportTransaction tx(*store, std::move(lock).value());
    ASSERT_TRUE(tx.put("kept: another import recorded it").ok());
    ASSERT_TRUE(tx.put("removed").ok());
    ASSERT_TRUE(tx.put("already there").ok());
    // What a concurrent import that found the first blob present would leave behind.
    ImageRecord other{.name = "docker.io/library/other:latest"};
    other.layers.push_back(LayerRecord{.digest = Digest::of("kept: another import recorded it")});
    ASSERT_TRUE(save_image_record(*store, other).ok());
  }  // no commit(): rolled back
  EXPECT_TRUE(store->has(Digest::of("kept: another import recorded it")));
  EXPECT_FALSE(store->has(Digest::of("removed")));
  EXPECT_TRUE(store->has(Digest::of("already there"))) << "a blob the import did not add is never removed";
}

TEST(ImportTransaction, CommittedBlobsStay) {
  TempDir dir("berth-import-tx-");
  auto store = ContentStore::open(dir.path("store"));
  ASSERT_TRUE(store.ok()) << store.error().message();
  {
    auto lock = store->lock(/*exclusive=*/false);
    ASSERT_TRUE(lock.ok());
    ImportTransaction tx(*store, std::move(lock).value());
    ASSERT_TRUE(tx.put("blob").ok());
    tx.commit();
  }
  EXPECT_TRUE(store->has(Digest::of("blob")));
  // The lock is free again: prune can take it.
  auto lock = store->lock(/*exclusive=*/true);
  EXPECT_TRUE(lock.ok());
}

}  // namespace
}  // namespace berth::images
