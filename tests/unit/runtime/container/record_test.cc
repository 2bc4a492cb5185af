#include "runtime/container/record.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "common/file.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::container {
namespace {

// A private state root for one test, removed afterwards.
class RecordTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(root_.empty()); }

  // The state paths of `id`, with the container's directory made.
  StatePaths paths_of(const std::string& id) {
    StatePaths paths(root_, id);
    EXPECT_TRUE(mkdir_p(paths.dir, 0700).ok());
    return paths;
  }

  TempDir tmp_{"berth-record-test-"};
  const std::string root_ = tmp_.path();
};

Record sample_record() {
  Record r;
  r.id = "web";
  r.bundle = "/srv/bundles/web";
  r.rootfs = "/srv/bundles/web/rootfs";
  r.pid = 4242;
  r.start_time = 123456789012ULL;
  r.created = "2026-11-26T04:38:46.123456789Z";
  r.owner = "root";
  r.annotations = {{"org.example/a", "1"}, {"org.example/b", "two words"}};
  r.cgroups = {
      {"/sys/fs/cgroup/memory/berth/web", "/sys/fs/cgroup/memory", {"memory"}, false},
      {"/sys/fs/cgroup/cpu,cpuacct/berth/web", "/sys/fs/cgroup/cpu,cpuacct", {"cpu", "cpuacct"}, false},
      {"/sys/fs/cgroup/unified/berth/web", "/sys/fs/cgroup/unified", {}, true},
  };
  return r;
}

TEST(StatePaths, FilesLiveInTheContainersDirectory) {
  StatePaths p("/run/berth-oci", "web");
  EXPECT_EQ(p.root, "/run/berth-oci");
  EXPECT_EQ(p.dir, "/run/berth-oci/web");
  EXPECT_EQ(p.record(), "/run/berth-oci/web/state.json");
  EXPECT_EQ(p.config(), "/run/berth-oci/web/config.json");
  EXPECT_EQ(p.exec_fifo(), "/run/berth-oci/web/exec.fifo");
}

TEST_F(RecordTest, SavedRecordLoadsBackWhole) {
  StatePaths paths = paths_of("web");
  const Record saved = sample_record();
  ASSERT_TRUE(save_record(paths, saved).ok());
  auto loaded = load_record(paths);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_EQ(loaded->version, Record::kVersion);
  EXPECT_EQ(loaded->id, saved.id);
  EXPECT_EQ(loaded->bundle, saved.bundle);
  EXPECT_EQ(loaded->rootfs, saved.rootfs);
  EXPECT_EQ(loaded->pid, saved.pid);
  EXPECT_EQ(loaded->start_time, saved.start_time);
  EXPECT_EQ(loaded->created, saved.created);
  EXPECT_EQ(loaded->owner, saved.owner);
  EXPECT_EQ(loaded->annotations, saved.annotations);
  ASSERT_EQ(loaded->cgroups.size(), saved.cgroups.size());
  for (size_t i = 0; i < saved.cgroups.size(); ++i) {
    EXPECT_EQ(loaded->cgroups[i].path, saved.cgroups[i].path) << i;
    EXPECT_EQ(loaded->cgroups[i].mount_point, saved.cgroups[i].mount_point) << i;
    EXPECT_EQ(loaded->cgroups[i].controllers, saved.cgroups[i].controllers) << i;
    EXPECT_EQ(loaded->cgroups[i].v2, saved.cgroups[i].v2) << i;
  }
}

TEST_F(RecordTest, SavingAgainReplacesTheRecord) {
  StatePaths paths = paths_of("web");
  Record r = sample_record();
  ASSERT_TRUE(save_record(paths, r).ok());
  r.pid = 99;
  r.annotations.clear();
  ASSERT_TRUE(save_record(paths, r).ok());
  auto loaded = load_record(paths);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_EQ(loaded->pid, 99);
  EXPECT_TRUE(loaded->annotations.empty());
  auto entries = list_dir(paths.dir);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(*entries, std::vector<std::string>{"state.json"}) << "no temp file is left beside the record";
}

TEST_F(RecordTest, RecordIsReadableByItsOwnerOnly) {
  StatePaths paths = paths_of("web");
  ASSERT_TRUE(save_record(paths, sample_record()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(paths.record().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST_F(RecordTest, MissingRecordSaysTheContainerDoesNotExist) {
  StatePaths paths(root_, "ghost");
  auto r = load_record(paths);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "container \"ghost\" does not exist");
}

TEST_F(RecordTest, NewerVersionIsRefused) {
  StatePaths paths = paths_of("web");
  Record r = sample_record();
  r.version = Record::kVersion + 1;
  ASSERT_TRUE(save_record(paths, r).ok());
  auto loaded = load_record(paths);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), EINVAL);
  EXPECT_EQ(loaded.error().message(), paths.record() + ": record version " + std::to_string(Record::kVersion + 1) +
                                          " is newer than this berth-oci understands");
}

TEST_F(RecordTest, CorruptRecordIsAnErrorNamingTheFile) {
  StatePaths paths = paths_of("web");
  ASSERT_TRUE(write_file(paths.record(), "{\"container\": {\"version\": 1, \"id\": ").ok());
  auto loaded = load_record(paths);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), EINVAL);
  EXPECT_EQ(loaded.error().message().rfind("read " + paths.record() + ": ", 0), 0U) << loaded.error().message();
}

TEST(ValidateId, RuncsCharactersAreAccepted) {
  for (const char* id : {"web", "a", "Web-1_2+3.4", "berth-it-123-c7", "x.", "0"}) {
    EXPECT_TRUE(validate_id(id).ok()) << id;
  }
  EXPECT_TRUE(validate_id(std::string(1024, 'a')).ok()) << "1024 characters are allowed";
}

TEST(ValidateId, EmptyIdIsRefused) {
  auto st = validate_id("");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), EINVAL);
  EXPECT_EQ(st.error().message(), "container id must not be empty");
}

TEST(ValidateId, TooLongIdIsRefused) {
  auto st = validate_id(std::string(1025, 'a'));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "container id is longer than 1024 characters");
}

TEST(ValidateId, LeadingDotIsRefusedSoNoIdNamesAParentDirectory) {
  for (const char* id : {".", "..", ".hidden"}) {
    auto st = validate_id(id);
    ASSERT_FALSE(st.ok()) << id;
    EXPECT_EQ(st.error().message(), "invalid container id \"" + std::string(id) + "\": must not start with a dot");
  }
}

TEST(ValidateId, PathSeparatorsAndOtherCharactersAreRefused) {
  for (const char* id : {"a/b", "x/../y", "a b", "a:b", "a\\b", "caf\xc3\xa9", "a\nb", "a*"}) {
    auto st = validate_id(id);
    ASSERT_FALSE(st.ok()) << id;
    EXPECT_EQ(st.error().code(), EINVAL);
    EXPECT_NE(st.error().message().find("use letters, digits, _ + - . only"), std::string::npos)
        << st.error().message();
  }
}

}  // namespace
}  // namespace berth::container
