// Freezing and thawing faked cgroup trees (plain files in a temp dir): which file each
// version is told, how the outcome is read back, and that a freeze that does not finish is
// undone. A plain v1 freezer.state reads back what was written, so v1 freezes at once.
#include "isolators/cgroups/freezer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::cgroups {
namespace {

using namespace std::chrono_literals;

class FakeTree {
 public:
  // A cgroup directory with `files` holding their initial contents.
  CgroupDir dir(const std::string& name, const std::vector<std::pair<std::string, std::string>>& files,
                bool v2 = false) {
    std::string d = path_join(tmp_.path(), name.empty() ? "unified" : name);
    EXPECT_TRUE(mkdir_p(d).ok());
    for (const auto& [file, text] : files) EXPECT_TRUE(write_file(path_join(d, file), text).ok());
    return CgroupDir{d, d, v2 ? std::vector<std::string>{} : std::vector<std::string>{name}, v2};
  }
  static std::string read(const CgroupDir& d, const std::string& file) {
    auto text = read_file(path_join(d.path, file));
    return text ? *text : "<missing>";
  }

 private:
  TempDir tmp_{"berth-freezertest-"};
};

CgroupDir v2_dir(FakeTree& t, const std::string& frozen) {
  return t.dir("", {{"cgroup.freeze", "0"}, {"cgroup.events", "populated 1\nfrozen " + frozen + "\n"}}, true);
}

TEST(Freezer, V1FreezesAndThawsThroughTheFreezerHierarchy) {
  FakeTree t;
  CgroupSet set({t.dir("memory", {{"memory.limit_in_bytes", ""}}), t.dir("freezer", {{"freezer.state", "THAWED"}})});
  ASSERT_TRUE(is_frozen(set).ok());
  EXPECT_FALSE(*is_frozen(set));

  auto st = freeze(set, 1s);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(FakeTree::read(set.dirs()[1], "freezer.state"), "FROZEN");
  ASSERT_TRUE(is_frozen(set).ok());
  EXPECT_TRUE(*is_frozen(set));

  st = thaw(set);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(FakeTree::read(set.dirs()[1], "freezer.state"), "THAWED");
  EXPECT_FALSE(*is_frozen(set));
}

TEST(Freezer, V1FreezingIsNotYetFrozen) {
  FakeTree t;
  CgroupSet set({t.dir("freezer", {{"freezer.state", "FREEZING\n"}})});
  auto frozen = is_frozen(set);
  ASSERT_TRUE(frozen.ok()) << frozen.error().message();
  EXPECT_FALSE(*frozen);
}

TEST(Freezer, V2WaitsForTheKernelToReportFrozen) {
  FakeTree t;
  CgroupSet set({v2_dir(t, "1")});
  auto st = freeze(set, 1s);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(FakeTree::read(set.dirs()[0], "cgroup.freeze"), "1");
  EXPECT_TRUE(*is_frozen(set));

  st = thaw(set);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(FakeTree::read(set.dirs()[0], "cgroup.freeze"), "0");
}

TEST(Freezer, V2StateComesFromCgroupEventsNotTheRequest) {
  FakeTree t;
  CgroupSet set({v2_dir(t, "0")});
  ASSERT_TRUE(write_file(path_join(set.dirs()[0].path, "cgroup.freeze"), "1").ok());
  auto frozen = is_frozen(set);
  ASSERT_TRUE(frozen.ok()) << frozen.error().message();
  EXPECT_FALSE(*frozen);
}

TEST(Freezer, FreezeThatDoesNotFinishIsThawedAndNamesTheCgroup) {
  FakeTree t;
  CgroupSet set({v2_dir(t, "0")});  // the fake kernel never reports frozen
  auto st = freeze(set, 50ms);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ETIMEDOUT);
  const std::string& msg = st.error().message();
  EXPECT_NE(msg.find("freeze cgroup " + set.dirs()[0].path), std::string::npos) << msg;
  EXPECT_NE(msg.find("not frozen after 50 ms"), std::string::npos) << msg;
  EXPECT_NE(msg.find("thawed it again"), std::string::npos) << msg;
  EXPECT_EQ(FakeTree::read(set.dirs()[0], "cgroup.freeze"), "0");
}

TEST(Freezer, NoFreezerIsAClearError) {
  FakeTree t;
  CgroupSet set({t.dir("memory", {{"memory.limit_in_bytes", ""}}), t.dir("pids", {{"pids.max", ""}})});
  for (const auto& st : {freeze(set, 1s), thaw(set)}) {
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), EOPNOTSUPP);
    EXPECT_NE(st.error().message().find("no freezer"), std::string::npos) << st.error().message();
  }
  EXPECT_FALSE(is_frozen(set).ok());
  EXPECT_FALSE(is_frozen(CgroupSet{}).ok());
}

TEST(Freezer, MissingCgroupDirectoryNamesThePath) {
  CgroupSet set({CgroupDir{"/nonexistent/berth/c1", "/nonexistent", {"freezer"}, false}});
  auto st = freeze(set, 50ms);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("/nonexistent/berth/c1/freezer.state"), std::string::npos)
      << st.error().message();
}

TEST(Freezer, UnexpectedV1StateIsAnError) {
  FakeTree t;
  CgroupSet set({t.dir("freezer", {{"freezer.state", "MELTED"}})});
  auto frozen = is_frozen(set);
  ASSERT_FALSE(frozen.ok());
  EXPECT_NE(frozen.error().message().find("unexpected state \"MELTED\""), std::string::npos)
      << frozen.error().message();
}

}  // namespace
}  // namespace berth::cgroups
