// Whole-GPU allocation: each GPU goes to one container, a request that does not fit is
// refused whole, and holdings survive a restart through the state file (recover keeps the
// known containers' GPUs and frees the others').
#include "isolators/gpu/gpu_allocator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::gpu {
namespace {

const std::vector<std::string> kGpus = {"GPU-a", "GPU-b"};

class GpuAllocatorTest : public ::testing::Test {
 protected:
  [[nodiscard]] std::string state_file() const { return tmp_.path("gpu_allocations.json"); }
  [[nodiscard]] GpuAllocator allocator() const { return GpuAllocator(kGpus, state_file()); }
  TempDir tmp_{"berth-gpualloc-"};
};

TEST_F(GpuAllocatorTest, GivesEachGpuToOneContainer) {
  auto a = allocator();
  auto c1 = a.allocate("c1", 1);
  ASSERT_TRUE(c1.ok()) << c1.error().message();
  auto c2 = a.allocate("c2", 1);
  ASSERT_TRUE(c2.ok()) << c2.error().message();
  EXPECT_EQ(*c1, std::vector<std::string>{"GPU-a"});
  EXPECT_EQ(*c2, std::vector<std::string>{"GPU-b"});
  EXPECT_EQ(a.free_count(), 0U);
  EXPECT_EQ(a.held_by("c1"), std::vector<std::string>{"GPU-a"});
}

TEST_F(GpuAllocatorTest, OverAllocationIsRefusedAndReservesNothing) {
  auto a = allocator();
  ASSERT_TRUE(a.allocate("c1", 1).ok());
  auto c2 = a.allocate("c2", 2);
  ASSERT_FALSE(c2.ok());
  EXPECT_EQ(c2.error().message(), "container \"c2\" asks for 2 GPUs; 1 of 2 free");
  EXPECT_EQ(a.free_count(), 1U);
  EXPECT_TRUE(a.held_by("c2").empty());
  auto c3 = a.allocate("c3", 1);
  ASSERT_TRUE(c3.ok()) << c3.error().message();
  EXPECT_EQ(*c3, std::vector<std::string>{"GPU-b"});
}

TEST_F(GpuAllocatorTest, NamedGpuHeldByAnotherContainerIsRefused) {
  auto a = allocator();
  ASSERT_TRUE(a.allocate("c1", 0, {"GPU-b"}).ok());
  auto c2 = a.allocate("c2", 0, {"GPU-b"});
  ASSERT_FALSE(c2.ok());
  EXPECT_EQ(c2.error().message(), "container \"c2\" asks for GPU GPU-b, held by container \"c1\"");
  auto c3 = a.allocate("c3", 0, {"GPU-z"});
  ASSERT_FALSE(c3.ok());
  EXPECT_EQ(c3.error().message(), "container \"c3\" asks for GPU GPU-z, which this host does not offer");
  EXPECT_EQ(a.free_count(), 1U);
}

TEST_F(GpuAllocatorTest, NamedAndCountedGpusAreGrantedTogetherOrNotAtAll) {
  auto a = allocator();
  auto c1 = a.allocate("c1", 1, {"GPU-b"});
  ASSERT_TRUE(c1.ok()) << c1.error().message();
  EXPECT_EQ(*c1, (std::vector<std::string>{"GPU-b", "GPU-a"}));
  ASSERT_TRUE(a.release("c1").ok());
  auto c2 = a.allocate("c2", 2, {"GPU-a"});
  ASSERT_FALSE(c2.ok());
  EXPECT_EQ(c2.error().message(), "container \"c2\" asks for 2 more GPUs; 1 of 2 free");
  EXPECT_EQ(a.free_count(), 2U);
}

TEST_F(GpuAllocatorTest, ReleaseIsIdempotentAndFreesTheGpusForOthers) {
  auto a = allocator();
  ASSERT_TRUE(a.allocate("c1", 2).ok());
  ASSERT_FALSE(a.allocate("c2", 1).ok());
  ASSERT_TRUE(a.release("c1").ok());
  ASSERT_TRUE(a.release("c1").ok());
  ASSERT_TRUE(a.release("never-seen").ok());
  EXPECT_EQ(a.free_count(), 2U);
  EXPECT_TRUE(a.allocate("c2", 1).ok());
}

TEST_F(GpuAllocatorTest, ContainerThatHoldsGpusCannotAskAgain) {
  auto a = allocator();
  ASSERT_TRUE(a.allocate("c1", 1).ok());
  auto again = a.allocate("c1", 1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(), "container \"c1\" already holds GPUs; clean it up first");
  EXPECT_EQ(a.free_count(), 1U);
}

TEST_F(GpuAllocatorTest, StateFileIsVersionedJsonNamingContainersAndUuids) {
  auto a = allocator();
  ASSERT_TRUE(a.allocate("c1", 1).ok());
  auto text = read_file(state_file());
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_NE(text->find("\"version\": 1"), std::string::npos) << *text;
  EXPECT_NE(text->find("\"container\": \"c1\""), std::string::npos) << *text;
  EXPECT_NE(text->find("\"GPU-a\""), std::string::npos) << *text;
}

TEST_F(GpuAllocatorTest, RecoverKeepsKnownContainersAndReleasesTheOthers) {
  {
    auto before = allocator();
    ASSERT_TRUE(before.allocate("c1", 1).ok());
    ASSERT_TRUE(before.allocate("c2", 1).ok());
  }
  auto after = allocator();
  auto st = after.recover({"c1"});
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(after.held_by("c1"), std::vector<std::string>{"GPU-a"});
  EXPECT_TRUE(after.held_by("c2").empty());
  EXPECT_EQ(after.free_count(), 1U);
  // The release was saved: a later restart that knows c2 again does not bring its GPU back.
  auto later = allocator();
  ASSERT_TRUE(later.recover({"c1", "c2"}).ok());
  EXPECT_TRUE(later.held_by("c2").empty());
  EXPECT_EQ(later.held_by("c1"), std::vector<std::string>{"GPU-a"});
}

TEST_F(GpuAllocatorTest, RecoverWithoutStateFileHoldsNothing) {
  auto a = allocator();
  ASSERT_TRUE(a.recover({"c1"}).ok());
  EXPECT_EQ(a.free_count(), 2U);
}

TEST_F(GpuAllocatorTest, RecoverDropsGpusTheHostNoLongerOffers) {
  {
    auto before = allocator();
    ASSERT_TRUE(before.allocate("c1", 2).ok());
  }
  GpuAllocator after({"GPU-b"}, state_file());
  ASSERT_TRUE(after.recover({"c1"}).ok());
  EXPECT_EQ(after.held_by("c1"), std::vector<std::string>{"GPU-b"});
}

TEST_F(GpuAllocatorTest, CorruptStateFileIsAnErrorNamingIt) {
  ASSERT_TRUE(write_file(state_file(), "{not json").ok());
  auto a = allocator();
  auto st = a.recover({});
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().message().starts_with("read " + state_file() + ": ")) << st.error().message();
}

TEST_F(GpuAllocatorTest, NewerStateVersionIsRefused) {
  ASSERT_TRUE(write_file(state_file(), R"({"gpu_allocations": {"version": 2, "holdings": []}})").ok());
  auto a = allocator();
  auto st = a.recover({});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), state_file() + ": version 2 is newer than this berth understands (1)");
}

TEST_F(GpuAllocatorTest, FailedSaveReservesNothing) {
  GpuAllocator a(kGpus, tmp_.path("missing-dir/gpu_allocations.json"));
  auto c1 = a.allocate("c1", 1);
  ASSERT_FALSE(c1.ok());
  EXPECT_TRUE(c1.error().message().starts_with("reserve GPUs for container \"c1\": ")) << c1.error().message();
  EXPECT_EQ(a.free_count(), 2U);
  EXPECT_TRUE(a.held_by("c1").empty());
}

}  // namespace
}  // namespace berth::gpu
