// The set the engine drives: every isolator sees every step, a refusal in prepare() undoes
// the isolators already prepared, cleanup() runs them all in reverse even when some fail,
// and errors name the isolator.
#include "isolators/isolator_set.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace berth::isolators {
namespace {

// Records the calls it gets in a shared journal; refuses the steps it is told to.
class JournalIsolator final : public Isolator {
 public:
  JournalIsolator(std::string name, std::vector<std::string>& journal, std::string refuse = {})
      : name_(std::move(name)), journal_(journal), refuse_(std::move(refuse)) {}
  [[nodiscard]] std::string_view name() const override { return name_; }
  Status recover(const std::vector<ContainerConfig>&) override { return step("recover"); }
  Status prepare(const ContainerConfig&, LaunchAdditions& out) override {
    out.env.push_back(name_ + "=1");
    return step("prepare");
  }
  Status isolate(const ContainerConfig&, pid_t) override { return step("isolate"); }
  Status update(const ContainerConfig&, const ResourceRequest&) override { return step("update"); }
  Status usage(const ContainerConfig&, Usage& u) override {
    u.gpus.push_back(name_);
    return step("usage");
  }
  Result<std::optional<Limitation>> check(const ContainerConfig&) override {
    BERTH_TRY(step("check"));
    if (refuse_ == "limit") return std::optional<Limitation>(Limitation{name_, "Over", "over", true});
    return std::optional<Limitation>{};
  }
  Status cleanup(const ContainerConfig&) override { return step("cleanup"); }

 private:
  Status step(const std::string& what) {
    journal_.push_back(name_ + "." + what);
    if (what == refuse_) return Error(EBUSY, what + " refused");
    return ok();
  }
  std::string name_;
  std::vector<std::string>& journal_;
  std::string refuse_;
};

const ContainerConfig kContainer{.id = "c1", .cgroup = "/berth/c1"};

TEST(IsolatorSet, RefusedPrepareUndoesTheIsolatorsBeforeIt) {
  std::vector<std::string> journal;
  IsolatorSet set;
  set.add(std::make_unique<JournalIsolator>("a", journal));
  set.add(std::make_unique<JournalIsolator>("b", journal, "prepare"));
  set.add(std::make_unique<JournalIsolator>("c", journal));
  LaunchAdditions out;
  auto s = set.prepare(kContainer, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "isolator b: prepare refused");
  EXPECT_EQ(journal, (std::vector<std::string>{"a.prepare", "b.prepare", "b.cleanup", "a.cleanup"}));
}

TEST(IsolatorSet, CleanupRunsEveryIsolatorInReverseAndJoinsTheErrors) {
  std::vector<std::string> journal;
  IsolatorSet set;
  set.add(std::make_unique<JournalIsolator>("a", journal, "cleanup"));
  set.add(std::make_unique<JournalIsolator>("b", journal));
  set.add(std::make_unique<JournalIsolator>("c", journal, "cleanup"));
  auto s = set.cleanup(kContainer);
  ASSERT_FALSE(s);
  EXPECT_EQ(journal, (std::vector<std::string>{"c.cleanup", "b.cleanup", "a.cleanup"}));
  EXPECT_EQ(s.error().message(),
            "cleanup of container \"c1\": isolator c: cleanup refused; isolator a: cleanup refused");
}

TEST(IsolatorSet, UsageGathersEveryIsolatorsPartAndCheckReportsTheFirstLimitation) {
  std::vector<std::string> journal;
  IsolatorSet set;
  set.add(std::make_unique<JournalIsolator>("a", journal));
  set.add(std::make_unique<JournalIsolator>("b", journal, "limit"));
  set.add(std::make_unique<JournalIsolator>("c", journal, "limit"));
  auto u = set.usage(kContainer);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->gpus, (std::vector<std::string>{"a", "b", "c"}));
  auto l = set.check(kContainer);
  ASSERT_TRUE(l && *l);
  EXPECT_EQ((*l)->resource, "b");
}

TEST(IsolatorSet, IsolateStopsAtTheFirstFailureNamingIt) {
  std::vector<std::string> journal;
  IsolatorSet set;
  set.add(std::make_unique<JournalIsolator>("a", journal, "isolate"));
  set.add(std::make_unique<JournalIsolator>("b", journal));
  auto s = set.isolate(kContainer, 42);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "isolator a: isolate refused");
  EXPECT_EQ(journal, (std::vector<std::string>{"a.isolate"}));
}

}  // namespace
}  // namespace berth::isolators
