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

// An old GNU 'S' header for `name`: `segments` in the header (at most 4), `real_size` and
// the isextended flag; `stored` bytes of data follow (after any extension blocks).
std::string gnu_sparse_header(const std::string& name, const std::vector<std::pair<uint64_t, uint64_t>>& segments,
                              uint64_t real_size, uint64_t stored, bool extended = false) {
  std::string h = TarBuilder().header('S', name, stored).finish().substr(0, 512);
  auto octal = [&](size_t at, uint64_t v) { std::snprintf(&h[at], 12, "%011llo", static_cast<unsigned long long>(v)); };
  for (size_t i = 0; i < segments.size(); ++i) {
    octal(386 + 24 * i, segments[i].first);
    octal(398 + 24 * i, segments[i].second);
  }
  h[482] = extended ? '\1' : '\0';
  octal(483, real_size);
  TarBuilder::seal(h);
  return h;
}

// Data padded to a block, then the end of the archive.
std::string data_and_end(const std::string& data) {
  return data + std::string((512 - data.size() % 512) % 512, '\0') + std::string(1024, '\0');
}

TEST(TarReader, GnuSparseHeaderGivesTheMapAndTheRealSize) {
  auto r = read_all(gnu_sparse_header("holes", {{0, 3}, {4096, 2}, {10000, 0}}, 10000, 5) + data_and_end("abcde"));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->entries.size(), 1U);
  const TarEntry& e = r->entries[0];
  EXPECT_EQ(e.type, TarType::kRegular);
  EXPECT_EQ(e.size, 10000U);
  ASSERT_TRUE(e.sparse.has_value());
  EXPECT_EQ(*e.sparse, (std::vector<SparseSegment>{{0, 3}, {4096, 2}, {10000, 0}}));
  EXPECT_EQ(r->data[0], "abcde") << "read_data yields the stored segments only";
}

TEST(TarReader, GnuSparseExtensionBlocksAreReadAndBounded) {
  // Four segments in the header, two more in one extension block.
  std::string ext(512, '\0');
  std::snprintf(&ext[0], 12, "%011o", 500);
  std::snprintf(&ext[12], 12, "%011o", 1);
  std::snprintf(&ext[24], 12, "%011o", 600);
  std::snprintf(&ext[36], 12, "%011o", 1);
  std::string tar =
      gnu_sparse_header("many", {{0, 1}, {100, 1}, {200, 1}, {300, 1}}, 1000, 6, true) + ext + data_and_end("abcdef");
  auto r = read_all(tar);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->entries[0].sparse->size(), 6U);
  EXPECT_EQ(r->entries[0].sparse->back(), (SparseSegment{600, 1}));
  EXPECT_EQ(r->data[0], "abcdef");

  auto limited = read_all(tar, TarLimits{.max_sparse_segments = 5});
  ASSERT_FALSE(limited);
  EXPECT_NE(limited.error().message().find("more than 5 segments"), std::string::npos) << limited.error().message();
}

TEST(TarReader, PaxSparseFormatsGiveTheSameFile) {
  std::vector<SparseSegment> want = {{0, 3}, {10, 2}};
  std::string data = "abcde";
  auto v00 = TarBuilder()
                 .pax({{"GNU.sparse.size", "20"},
                       {"GNU.sparse.numblocks", "2"},
                       {"GNU.sparse.offset", "0"},
                       {"GNU.sparse.numbytes", "3"},
                       {"GNU.sparse.offset", "10"},
                       {"GNU.sparse.numbytes", "2"}})
                 .file("f", data)
                 .finish();
  auto v01 = TarBuilder()
                 .pax({{"GNU.sparse.major", "0"},
                       {"GNU.sparse.minor", "1"},
                       {"GNU.sparse.name", "f"},
                       {"GNU.sparse.size", "20"},
                       {"GNU.sparse.numblocks", "2"},
                       {"GNU.sparse.map", "0,3,10,2"}})
                 .file("GNUSparseFile.0/f", data)
                 .finish();
  std::string map = "2\n0\n3\n10\n2\n";
  map.resize(512, '\0');
  auto v10 = TarBuilder()
                 .pax({{"GNU.sparse.major", "1"},
                       {"GNU.sparse.minor", "0"},
                       {"GNU.sparse.name", "f"},
                       {"GNU.sparse.realsize", "20"}})
                 .file("GNUSparseFile.0/f", map + data)
                 .finish();
  for (const std::string& tar : {v00, v01, v10}) {
    auto r = read_all(tar);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->entries.size(), 1U);
    EXPECT_EQ(r->entries[0].path, "f");
    EXPECT_EQ(r->entries[0].size, 20U);
    ASSERT_TRUE(r->entries[0].sparse.has_value());
    EXPECT_EQ(*r->entries[0].sparse, want);
    EXPECT_EQ(r->data[0], data);
  }
}

// A pax 0.1 sparse file of real size `size` with `map` over `data`.
std::string pax01(const std::string& size, const std::string& map, const std::string& data) {
  return TarBuilder()
      .pax({{"GNU.sparse.major", "0"}, {"GNU.sparse.minor", "1"}, {"GNU.sparse.size", size}, {"GNU.sparse.map", map}})
      .file("f", data)
      .finish();
}

TEST(TarReader, HostileSparseMapsAreRefused) {
  struct Case {
    std::string tar;
    std::string error;
  };
  std::string huge_count = "99999999999\n";
  huge_count.resize(512, '\0');
  std::vector<Case> cases = {
      {pax01("100", "0,10,5,10", std::string(20, 'x')), "overlaps or comes before"},
      {pax01("100", "50,10,0,10", std::string(20, 'x')), "overlaps or comes before"},
      {pax01("100", "90,20", std::string(20, 'x')), "reaches past the file's size 100"},
      {pax01("100", "18446744073709551615,2", "xx"), "reaches past the file's size 100"},
      {pax01("100", "0,10", std::string(20, 'x')), "its segments hold 10 bytes, the entry 20"},
      {pax01("100", "0,10,", std::string(10, 'x')), "is not a number"},
      {pax01("100", "0,10,20", std::string(10, 'x')), "an offset without a length"},
      {TarBuilder()
           .pax({{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}, {"GNU.sparse.realsize", "10"}})
           .file("f", huge_count)
           .finish(),
       "more than 65536 segments"},
      {TarBuilder().pax({{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}}).file("f", "").finish(),
       "without GNU.sparse.size"},
      {TarBuilder()
           .pax({{"GNU.sparse.major", "2"}, {"GNU.sparse.minor", "0"}, {"GNU.sparse.realsize", "10"}})
           .file("f", "")
           .finish(),
       "GNU sparse format 2.0 is not supported"},
      {TarBuilder()
           .pax({{"GNU.sparse.size", "10"}, {"GNU.sparse.numbytes", "1"}, {"GNU.sparse.offset", "0"}})
           .file("f", "x")
           .finish(),
       "GNU.sparse.numbytes out of order"},
      {TarBuilder()
           .pax({{"GNU.sparse.size", "10"}, {"GNU.sparse.numblocks", "3"}, {"GNU.sparse.map", "0,1"}})
           .file("f", "x")
           .finish(),
       "numblocks says 3 segments, the map has 1"},
      {gnu_sparse_header("s", {{0, 8}}, 4, 8) + data_and_end(std::string(8, 'x')), "reaches past the file's size 4"},
  };
  for (const Case& c : cases) {
    auto r = read_all(c.tar);
    ASSERT_FALSE(r) << "accepted, expected: " << c.error;
    EXPECT_NE(r.error().message().find(c.error), std::string::npos) << r.error().message();
  }
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
