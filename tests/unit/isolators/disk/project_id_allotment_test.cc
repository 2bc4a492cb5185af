// Handing out XFS project ids: one per container from the configured range, never one that is
// held or that the file system still counts files for, and a clear refusal when none is left.
#include "isolators/disk/project_id_allotment.h"

#include <gtest/gtest.h>

#include <set>

namespace berth::isolators::disk {
namespace {

TEST(XfsProjectIdAllotment, IdsComeFromTheRangeAndAreNeverShared) {
  ProjectIdAllotment ids({.first = 1000, .last = 1002});
  std::set<uint32_t> got;
  for (const char* owner : {"a", "b", "c"}) {
    auto id = ids.allot(owner);
    ASSERT_TRUE(id.ok()) << id.error().message();
    EXPECT_TRUE(ids.range().contains(*id));
    got.insert(*id);
    EXPECT_EQ(ids.owner_of(*id), owner);
  }
  EXPECT_EQ(got.size(), 3U);
}

TEST(XfsProjectIdAllotment, FullRangeIsRefusedNamingIt) {
  ProjectIdAllotment ids({.first = 7, .last = 8});
  ASSERT_TRUE(ids.allot("a").ok());
  ASSERT_TRUE(ids.allot("b").ok());
  auto third = ids.allot("c");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code(), ENOSPC);
  EXPECT_NE(third.error().message().find("7-8"), std::string::npos) << third.error().message();
}

TEST(XfsProjectIdAllotment, IdTheFileSystemStillCountsIsSkipped) {
  ProjectIdAllotment ids({.first = 10, .last = 20});
  auto id = ids.allot("a", [](uint32_t id) -> Result<bool> { return id < 15; });
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 15U);
}

TEST(XfsProjectIdAllotment, FailingDiskCheckStopsTheAllotment) {
  ProjectIdAllotment ids({.first = 10, .last = 20});
  auto id = ids.allot("a", [](uint32_t) -> Result<bool> { return Error(EIO, "quotactl failed"); });
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().message(), "quotactl failed");
  EXPECT_FALSE(ids.owner_of(10).has_value());
}

TEST(XfsProjectIdAllotment, ReleasedIdComesBackOnlyAfterTheOthers) {
  ProjectIdAllotment ids({.first = 1, .last = 3});
  auto first = ids.allot("a");
  ASSERT_TRUE(first.ok());
  ids.release(*first);
  EXPECT_NE(*ids.allot("b"), *first);
  EXPECT_NE(*ids.allot("c"), *first);
  EXPECT_EQ(*ids.allot("d"), *first);
}

TEST(XfsProjectIdAllotment, AdoptedIdIsNotHandedOut) {
  ProjectIdAllotment ids({.first = 5, .last = 6});
  ASSERT_TRUE(ids.adopt(5, "old").ok());
  EXPECT_EQ(*ids.allot("new"), 6U);
  EXPECT_FALSE(ids.allot("newer").ok());
}

TEST(XfsProjectIdAllotment, AdoptingAnotherOwnersIdOrOneOutsideTheRangeIsRefused) {
  ProjectIdAllotment ids({.first = 5, .last = 6});
  ASSERT_TRUE(ids.adopt(5, "a").ok());
  EXPECT_TRUE(ids.adopt(5, "a").ok());
  EXPECT_EQ(ids.adopt(5, "b").error().code(), EEXIST);
  EXPECT_EQ(ids.adopt(0, "b").error().code(), ERANGE);
  EXPECT_EQ(ids.adopt(7, "b").error().code(), ERANGE);
}

TEST(XfsProjectIdAllotment, RangeHoldingTheDefaultProjectIsRefused) {
  ProjectIdAllotment ids({.first = 0, .last = 3});
  EXPECT_EQ(ids.allot("a").error().code(), EINVAL);
}

}  // namespace
}  // namespace berth::isolators::disk
