#include "images/unpack/tar_reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "images/unpack/layer_stream.h"
#include "tests/unit/support/busybox_layer.h"
#include "tests/unit/support/tar_builder.h"

namespace berth::images {
namespace {

using berth::testing::TarBuilder;

struct ReadBack {
  std::vector<TarEntry> entries;
  std::vector<std::string> data;
};

Result<ReadBack> read_all(const std::string& tar, TarLimits limits = {}) {
  StringSource src(tar);
  TarReader reader(src, limits);
  ReadBack out;
  for (;;) {
    BERTH_ASSIGN(auto e, reader.next());
    if (!e) return out;
    std::string d;
    char buf[7];  // small on purpose: data arrives in pieces
    for (;;) {
      BERTH_ASSIGN(size_t n, reader.read_data(buf, sizeof buf));
      if (n == 0) break;
      d.append(buf, n);
    }
    out.entries.push_back(*e);
    out.data.push_back(d);
  }
}

TEST(TarReader, ReadsUstarEntriesWithTheirMetadata) {
  std::string tar = TarBuilder()
                        .dir("etc/", {.mode = 0755, .uid = 0, .gid = 0, .mtime = 1000})
                        .file("etc/motd", "hello\n", {.mode = 04755, .uid = 1000, .gid = 100, .mtime = 1234567})
                        .symlink("etc/link", "../motd")
                        .hardlink("etc/hard", "etc/motd")
                        .header('3', "dev/null", 0, {.mode = 0666, .major = 1, .minor = 3})
                        .header('6', "fifo", 0)
                        .finish();
  auto r = read_all(tar);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->entries.size(), 6U);
  EXPECT_EQ(r->entries[0].type, TarType::kDirectory);
  const TarEntry& f = r->entries[1];
  EXPECT_EQ(f.path, "etc/motd");
  EXPECT_EQ(f.type, TarType::kRegular);
  EXPECT_EQ(f.mode, 04755U);
  EXPECT_EQ(f.uid, 1000U);
  EXPECT_EQ(f.gid, 100U);
  EXPECT_EQ(f.mtime_sec, 1234567);
  EXPECT_EQ(r->data[1], "hello\n");
  EXPECT_EQ(r->entries[2].type, TarType::kSymlink);
  EXPECT_EQ(r->entries[2].link_target, "../motd");
  EXPECT_EQ(r->entries[3].type, TarType::kHardLink);
  EXPECT_EQ(r->entries[3].link_target, "etc/motd");
  EXPECT_EQ(r->entries[4].type, TarType::kCharDevice);
  EXPECT_EQ(r->entries[4].dev_major, 1U);
  EXPECT_EQ(r->entries[4].dev_minor, 3U);
  EXPECT_EQ(r->entries[5].type, TarType::kFifo);
}

TEST(TarReader, SkipsUnreadDataBetweenEntries) {
  std::string tar = TarBuilder().file("a", std::string(1500, 'a')).file("b", "bee").finish();
  StringSource src(tar);
  TarReader reader(src, {});
  auto a = reader.next();
  ASSERT_TRUE(a && *a);
  auto b = reader.next();
  ASSERT_TRUE(b && *b) << (b ? "" : b.error().message());
  EXPECT_EQ((*b)->path, "b");
  char buf[8];
  auto n = reader.read_data(buf, sizeof buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(buf, *n), "bee");
}

TEST(TarReader, PaxRecordsOverridePathSizeOwnersMtimeAndCarryXattrs) {
  std::string long_path = std::string(150, 'p') + "/file";
  std::string tar = TarBuilder()
                        .pax({{"path", long_path},
                              {"uid", "3000000"},
                              {"gid", "4000000"},
                              {"mtime", "1700000000.5"},
                              {"size", "4"},
                              {"SCHILY.xattr.user.note", "v=1"},
                              {"SCHILY.xattr.security.capability", std::string("\x01\x00\x00\x02", 4)}})
                        .file("short", "data")
                        .pax({{"linkpath", std::string(200, 't')}})
                        .symlink("s", "ignored")
                        .finish();
  auto r = read_all(tar);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->entries.size(), 2U);
  const TarEntry& e = r->entries[0];
  EXPECT_EQ(e.path, long_path);
  EXPECT_EQ(e.uid, 3000000U);
  EXPECT_EQ(e.gid, 4000000U);
  EXPECT_EQ(e.mtime_sec, 1700000000);
  EXPECT_EQ(e.mtime_nsec, 500000000U);
  EXPECT_EQ(r->data[0], "data");
  ASSERT_EQ(e.xattrs.size(), 2U);
  EXPECT_EQ(e.xattrs[0].first, "user.note");
  EXPECT_EQ(e.xattrs[0].second, "v=1");
  EXPECT_EQ(e.xattrs[1].first, "security.capability");
  EXPECT_EQ(e.xattrs[1].second.size(), 4U);
  EXPECT_EQ(r->entries[1].link_target, std::string(200, 't'));
  EXPECT_EQ(r->entries[1].path, "s");  // the pax header applied to one entry only
}

TEST(TarReader, GlobalPaxRecordsAreDefaultsForEveryEntry) {
  std::string tar =
      TarBuilder().pax({{"uid", "77"}, {"path", "not-every-file"}}, 'g').file("a", "1").file("b", "2").finish();
  auto r = read_all(tar);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->entries.size(), 2U);
  EXPECT_EQ(r->entries[0].uid, 77U);
  EXPECT_EQ(r->entries[1].uid, 77U);
  EXPECT_EQ(r->entries[1].path, "b");
}

TEST(TarReader, GnuLongNamesAndLinksAreRead) {
  std::string name = std::string(300, 'n');
  std::string link = std::string(250, 'l');
  std::string tar = TarBuilder().gnu_long('L', name).gnu_long('K', link).symlink("trunc", "trunc").finish();
  auto r = read_all(tar);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->entries.size(), 1U);
  EXPECT_EQ(r->entries[0].path, name);
  EXPECT_EQ(r->entries[0].link_target, link);
}

TEST(TarReader, UstarPrefixFieldJoinsThePath) {
  std::string tar = TarBuilder().file("name", "x").finish();
  std::memcpy(&tar[345], "some/prefix", 11);
  TarBuilder::seal(tar);  // the edited header needs its checksum again
  auto r = read_all(tar);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->entries[0].path, "some/prefix/name");
}

TEST(TarReader, Base256NumbersAreRead) {
  std::string tar = TarBuilder().file("big", "x").finish();
  // mtime as GNU base-256: 0x80 then big-endian 5000000000 (past 2106 in octal's 11 digits).
  uint64_t v = 5000000000ULL;
  std::string mtime(12, '\0');
  mtime[0] = static_cast<char>(0x80);
  for (int i = 11; i >= 1; --i, v >>= 8) mtime[i] = static_cast<char>(v & 0xff);
  std::memcpy(&tar[136], mtime.data(), 12);
  TarBuilder::seal(tar);
  auto r = read_all(tar);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->entries[0].mtime_sec, 5000000000LL);
}

TEST(TarReader, SparseFilesAreRefusedAsUnsupported) {
  auto gnu = read_all(TarBuilder().header('S', "sparse", 0).finish());
  ASSERT_FALSE(gnu);
  EXPECT_NE(gnu.error().message().find("sparse files are not supported"), std::string::npos) << gnu.error().message();
  EXPECT_NE(gnu.error().message().find("\"sparse\""), std::string::npos) << gnu.error().message();
  auto pax = read_all(TarBuilder().pax({{"GNU.sparse.major", "1"}}).file("s", "").finish());
  ASSERT_FALSE(pax);
  EXPECT_NE(pax.error().message().find("sparse files are not supported"), std::string::npos) << pax.error().message();
}

TEST(TarReader, UnknownEntryTypeIsRefused) {
  auto r = read_all(TarBuilder().header('Z', "odd", 0).finish());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("type 'Z' is not supported"), std::string::npos) << r.error().message();
}

TEST(TarReader, TruncatedStreamsAreErrors) {
  std::string full = TarBuilder().file("a", std::string(2000, 'x')).finish();
  for (size_t cut : {100UL, 512UL, 1000UL, 2560UL}) {
    auto r = read_all(full.substr(0, cut));
    ASSERT_FALSE(r) << "cut at " << cut;
    EXPECT_NE(r.error().message().find("truncated"), std::string::npos) << r.error().message();
  }
}

TEST(TarReader, EmptyStreamIsAnEmptyLayer) {
  auto r = read_all("");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->entries.empty());
}

TEST(TarReader, CorruptHeaderChecksumIsAnError) {
  std::string tar = TarBuilder().file("a", "x").finish();
  tar[0] = 'b';
  auto r = read_all(tar);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("checksum"), std::string::npos) << r.error().message();
}

TEST(TarReader, HugePaxHeaderStopsAtTheLimit) {
  std::string tar = TarBuilder().pax({{"comment", std::string(3 << 20, 'c')}}).file("a", "x").finish();
  auto r = read_all(tar, {.max_header_bytes = 1 << 20});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("over the limit"), std::string::npos) << r.error().message();
}

TEST(TarReader, MalformedPaxRecordIsAnError) {
  std::string body = "99 path=x\n";
  std::string tar = TarBuilder().header('x', "p", body.size()).data(body).file("a", "").finish();
  auto r = read_all(tar);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("pax header"), std::string::npos) << r.error().message();
}

TEST(TarReader, ReadsDebiansBusyboxLayerLikeGnuTar) {
  std::string layer = testing::busybox_layer(BERTH_SOURCE_DIR);
  if (layer.empty()) GTEST_SKIP() << "the busybox fixture could not be built (busybox-static installed?)";
  std::set<std::string> want;
  std::string listing = testing::shell("tar -tzf " + layer);
  for (size_t pos = 0, nl; (nl = listing.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    want.insert(listing.substr(pos, nl - pos));
  }
  FILE* f = std::fopen(layer.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  FdSource blob(fileno(f));
  LayerStream stream(blob, 1ULL << 32);
  TarReader reader(stream, {});
  std::set<std::string> got;
  size_t symlinks = 0;
  for (;;) {
    auto e = reader.next();
    ASSERT_TRUE(e) << e.error().message();
    if (!*e) break;
    got.insert((*e)->path);
    if ((*e)->type == TarType::kSymlink) ++symlinks;
  }
  std::fclose(f);
  EXPECT_EQ(got, want);
  EXPECT_GT(symlinks, 100U);  // one per applet
}

}  // namespace
}  // namespace berth::images
