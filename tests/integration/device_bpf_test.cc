// The cgroup v2 device program on the real kernel: a child moved into a cgroup with the
// program attached opens what the rules allow and gets EPERM for the rest. Needs root and
// a cgroup2 mount at /sys/fs/cgroup/unified (hybrid) or /sys/fs/cgroup (unified).
#include "isolators/cgroups/device_bpf.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/file.h"

namespace berth::cgroups {
namespace {

std::string cgroup2_root() {
  if (path_exists("/sys/fs/cgroup/unified/cgroup.procs")) return "/sys/fs/cgroup/unified";
  if (path_exists("/sys/fs/cgroup/cgroup.controllers")) return "/sys/fs/cgroup";
  return {};
}

// A cgroup of its own for the test, removed at the end (its member has exited by then).
class TestCgroup {
 public:
  TestCgroup() {
    auto root = cgroup2_root();
    if (root.empty()) return;
    auto path = root + "/berth-devtest-" + std::to_string(::getpid());
    if (::mkdir(path.c_str(), 0755) == 0) path_ = path;
  }
  ~TestCgroup() {
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Exit codes of the child's probe.
constexpr int kOpened = 0;
constexpr int kDenied = 1;
constexpr int kOtherError = 2;
constexpr int kNotMoved = 3;

// Forks a child that joins `cgroup`, then opens `device` with `flags`.
int open_in_cgroup(const std::string& cgroup, const char* device, int flags) {
  int go[2];
  if (::pipe(go) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(go[1]);
    char c = 0;
    if (::read(go[0], &c, 1) != 1 || c != 'y') ::_exit(kNotMoved);
    int fd = ::open(device, flags | O_CLOEXEC);
    if (fd >= 0) ::_exit(kOpened);
    ::_exit(errno == EPERM ? kDenied : kOtherError);
  }
  ::close(go[0]);
  auto moved = write_existing(cgroup + "/cgroup.procs", std::to_string(pid));
  char c = moved.ok() ? 'y' : 'n';
  (void)!::write(go[1], &c, 1);
  ::close(go[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class DeviceBpfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (cgroup2_root().empty()) GTEST_SKIP() << "no cgroup2 mount";
    ASSERT_FALSE(cgroup_.path().empty()) << "cannot make a cgroup under " << cgroup2_root();
  }
  void attach(const std::vector<DeviceRule>& rules) {
    auto prog = load_device_program(device_program(rules));
    ASSERT_TRUE(prog.ok()) << prog.error().message();
    UniqueFd dir(::open(cgroup_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir.valid());
    auto st = attach_device_program(dir.get(), prog->get());
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  TestCgroup cgroup_;
};

const DeviceRule kDenyAll{false, 'a', -1, -1, "rwm"};
const DeviceRule kAllowAll{true, 'a', -1, -1, "rwm"};

TEST_F(DeviceBpfTest, DenyAllButNullRefusesZero) {
  ASSERT_NO_FATAL_FAILURE(attach({kDenyAll, DeviceRule{true, 'c', 1, 3, "rwm"}}));
  EXPECT_EQ(open_in_cgroup(cgroup_.path(), "/dev/null", O_RDWR), kOpened);
  EXPECT_EQ(open_in_cgroup(cgroup_.path(), "/dev/zero", O_RDONLY), kDenied);
}

TEST_F(DeviceBpfTest, AllowAllOpensZero) {
  ASSERT_NO_FATAL_FAILURE(attach({kAllowAll}));
  EXPECT_EQ(open_in_cgroup(cgroup_.path(), "/dev/zero", O_RDWR), kOpened);
}

TEST_F(DeviceBpfTest, ReadOnlyRuleRefusesWrite) {
  ASSERT_NO_FATAL_FAILURE(attach({kDenyAll, DeviceRule{true, 'c', 1, 5, "r"}}));
  EXPECT_EQ(open_in_cgroup(cgroup_.path(), "/dev/zero", O_RDONLY), kOpened);
  EXPECT_EQ(open_in_cgroup(cgroup_.path(), "/dev/zero", O_WRONLY), kDenied);
}

TEST_F(DeviceBpfTest, SecondAttachReplacesTheFirst) {
  ASSERT_NO_FATAL_FAILURE(attach({kDenyAll}));
  EXPECT_EQ(open_in_cgroup(cgroup_.path(), "/dev/zero", O_RDONLY), kDenied);
  ASSERT_NO_FATAL_FAILURE(attach({kAllowAll}));
  EXPECT_EQ(open_in_cgroup(cgroup_.path(), "/dev/zero", O_RDONLY), kOpened);
}

TEST_F(DeviceBpfTest, VerifierRejectionCarriesTheLog) {
  // Exits without setting r0: the verifier refuses and says why.
  bpf_insn exit_only{};
  exit_only.code = BPF_JMP | BPF_EXIT;
  auto prog = load_device_program({exit_only});
  ASSERT_FALSE(prog.ok());
  EXPECT_NE(prog.error().message().find("verifier log"), std::string::npos) << prog.error().message();
  EXPECT_NE(prog.error().message().find("R0"), std::string::npos) << prog.error().message();
}

}  // namespace
}  // namespace berth::cgroups
