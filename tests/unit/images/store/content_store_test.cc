#include "images/store/content_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "common/file.h"
#include "tests/unit/support/content_store_fixture.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::images {
namespace {

class ContentStoreTest : public testing::ContentStoreFixture {
 protected:
  ContentStoreTest() : ContentStoreFixture("berth-store-") {}

  // Nothing half-written anywhere: no temp files, and only `expected` blobs.
  void expect_only_blobs(size_t expected) {
    auto temps = list_dir(store_->ingest_dir());
    ASSERT_TRUE(temps.ok());
    EXPECT_TRUE(temps->empty()) << temps->size() << " temp files left in " << store_->ingest_dir();
    auto blobs = store_->list_blobs();
    ASSERT_TRUE(blobs.ok()) << blobs.error().message();
    EXPECT_EQ(blobs->size(), expected);
  }
};

TEST_F(ContentStoreTest, IngestedBlobIsReadableByDigest) {
  std::string data = "layer bytes";
  Digest digest = Digest::of(data);
  auto written = store_->ingest(string_reader(data), digest, data.size());
  ASSERT_TRUE(written.ok()) << written.error().message();
  EXPECT_TRUE(*written);
  EXPECT_TRUE(store_->has(digest));
  EXPECT_EQ(store_->blob_path(digest), dir_.path("store") + "/blobs/sha256/" + digest.hex());
  auto back = store_->read_blob(digest);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, data);
  EXPECT_EQ(*store_->blob_size(digest), data.size());
  auto fd = store_->open_blob(digest);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(*read_fd(fd->get()), data);
  struct stat st {};
  ASSERT_EQ(::stat(store_->blob_path(digest).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444U) << "blobs are read-only";
  expect_only_blobs(1);
}

TEST_F(ContentStoreTest, SecondIngestOfTheSameBlobReadsNothing) {
  ASSERT_TRUE(store_->put("same").ok());
  bool read = false;
  ByteReader reader = [&read](char*, size_t) -> Result<size_t> {
    read = true;
    return size_t{0};
  };
  auto again = store_->ingest(reader, Digest::of("same"), 4);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_FALSE(read);
  // A descriptor that gives the stored blob another size is lying.
  auto lying = store_->ingest(reader, Digest::of("same"), 5);
  ASSERT_FALSE(lying.ok());
  EXPECT_EQ(lying.error().message(),
            "ingest " + Digest::of("same").str() + ": size mismatch: expected 5 bytes, the stored blob has 4");
}

TEST_F(ContentStoreTest, WrongDigestIsRefusedNamingBothAndLeavesNothing) {
  std::string data = "tampered";
  Digest expected = Digest::of("original");
  auto r = store_->ingest(string_reader(data), expected, data.size());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "ingest " + expected.str() + ": digest mismatch: expected " + expected.str() +
                                     ", got " + Digest::of(data).str());
  EXPECT_FALSE(store_->has(expected));
  expect_only_blobs(0);
}

TEST_F(ContentStoreTest, ShortOrLongBlobIsRefusedNamingSizesAndLeavesNothing) {
  std::string data = "0123456789";
  Digest digest = Digest::of(data);
  auto longer = store_->ingest(string_reader(data), digest, 4);
  ASSERT_FALSE(longer.ok());
  EXPECT_EQ(longer.error().message(), "ingest " + digest.str() + ": size mismatch: expected 4 bytes, got more");
  auto shorter = store_->ingest(string_reader(data), digest, 11);
  ASSERT_FALSE(shorter.ok());
  EXPECT_EQ(shorter.error().message(), "ingest " + digest.str() + ": size mismatch: expected 11 bytes, got 10");
  expect_only_blobs(0);
}

TEST_F(ContentStoreTest, InterruptedIngestLeavesNothing) {
  std::string big(size_t{512} * 1024, 'z');
  int calls = 0;
  ByteReader failing = [&](char* buf, size_t len) -> Result<size_t> {
    if (++calls == 3) return Error(ECONNRESET, "connection reset");
    std::fill_n(buf, len, 'z');
    return len;
  };
  auto r = store_->ingest(failing, Digest::of(big), big.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("connection reset"), std::string::npos) << r.error().message();
  expect_only_blobs(0);
}

TEST_F(ContentStoreTest, TempFilesOfDeadProcessesAreRemovedOnOpen) {
  // pid 0x7fffffff does not exist; our own pid's temp file could be a live ingest.
  ASSERT_TRUE(write_file(path_join(store_->ingest_dir(), "2147483647-abcdef"), "partial").ok());
  std::string live = path_join(store_->ingest_dir(), std::to_string(::getpid()) + "-abcdef");
  ASSERT_TRUE(write_file(live, "in progress").ok());
  auto reopened = ContentStore::open(dir_.path("store"));
  ASSERT_TRUE(reopened.ok()) << reopened.error().message();
  auto left = list_dir(store_->ingest_dir());
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, std::vector<std::string>{basename_of(live)});
}

TEST_F(ContentStoreTest, IngestsFromAFileRange) {
  ASSERT_TRUE(write_file(dir_.path("f"), "headerPAYLOADtrailer").ok());
  auto fd = open_path(dir_.path("f"), O_RDONLY);
  ASSERT_TRUE(fd.ok());
  Digest digest = Digest::of("PAYLOAD");
  auto r = store_->ingest(fd_range_reader(fd->get(), 6, 7), digest, 7);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*store_->read_blob(digest), "PAYLOAD");
  // A range past the end of the file is an error, not a short blob.
  auto past = store_->ingest(fd_range_reader(fd->get(), 15, 10), Digest::of("x"), 10);
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().message().find("file ends 5 bytes early"), std::string::npos) << past.error().message();
  expect_only_blobs(1);
}

TEST_F(ContentStoreTest, Sha512BlobsLiveBesideSha256) {
  std::string data = "five-twelve";
  Digest digest = Digest::of(data, DigestAlgorithm::kSha512);
  ASSERT_TRUE(store_->ingest(string_reader(data), digest, data.size()).ok());
  EXPECT_EQ(store_->blob_path(digest), dir_.path("store") + "/blobs/sha512/" + digest.hex());
  auto blobs = store_->list_blobs();
  ASSERT_TRUE(blobs.ok());
  ASSERT_EQ(blobs->size(), 1U);
  EXPECT_EQ((*blobs)[0].digest, digest);
  EXPECT_EQ((*blobs)[0].size, data.size());
}

TEST_F(ContentStoreTest, MissingBlobIsReportedByDigest) {
  Digest digest = Digest::of("absent");
  auto r = store_->read_blob(digest);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "blob " + digest.str() + " is not in the store");
}

TEST_F(ContentStoreTest, OversizedMetadataBlobIsNotReadWhole) {
  ASSERT_TRUE(store_->put("0123456789").ok());
  auto r = store_->read_blob(Digest::of("0123456789"), 5);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("is 10 bytes, more than the 5 allowed"), std::string::npos);
}

}  // namespace
}  // namespace berth::images
