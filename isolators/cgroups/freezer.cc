#include "isolators/cgroups/freezer.h"

#include <algorithm>
#include <cerrno>
#include <string>
#include <thread>

#include "common/file.h"
#include "common/strings.h"

namespace berth::cgroups {
namespace {

// The one directory whose file freezes the whole container.
struct Freezer {
  std::string dir;
  bool v2 = false;

  [[nodiscard]] std::string state_file() const { return path_join(dir, v2 ? "cgroup.freeze" : "freezer.state"); }
};

Result<Freezer> find_freezer(const CgroupSet& set) {
  const CgroupDir* unified = nullptr;
  for (const auto& d : set.dirs()) {
    if (d.v2) {
      unified = &d;
    } else if (std::find(d.controllers.begin(), d.controllers.end(), "freezer") != d.controllers.end()) {
      return Freezer{d.path, false};
    }
  }
  if (unified != nullptr) return Freezer{unified->path, true};
  return Error(EOPNOTSUPP,
               "no freezer: the container has no cgroup in a v1 freezer hierarchy and no cgroup v2 directory");
}

Status request(const Freezer& f, bool frozen) {
  std::string_view value = f.v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
  return write_existing(f.state_file(), value);
}

// v2 reports the outcome apart from the request: "frozen 1" in cgroup.events.
Result<bool> v2_frozen(const std::string& dir) {
  BERTH_ASSIGN(auto events, read_file(path_join(dir, "cgroup.events")));
  for (const auto& line : split(events, '\n')) {
    if (starts_with(line, "frozen ")) return trim(std::string_view(line).substr(7)) == "1";
  }
  return Error(EINVAL, path_join(dir, "cgroup.events") + ": no \"frozen\" field (kernel older than 5.2?)");
}

Result<bool> frozen_now(const Freezer& f) {
  if (f.v2) return v2_frozen(f.dir);
  BERTH_ASSIGN(auto state, read_file(f.state_file()));
  auto s = trim(state);
  if (s != "FROZEN" && s != "FREEZING" && s != "THAWED") {
    return Error(EINVAL, f.state_file() + ": unexpected state \"" + std::string(s) + "\"");
  }
  return s == "FROZEN";
}

Status wait_frozen(const Freezer& f, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(100);
  for (;;) {
    BERTH_ASSIGN(bool frozen, frozen_now(f));
    if (frozen) return ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Error(ETIMEDOUT, "not frozen after " + std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(10000));
    // v1 freezes the tasks it finds when FROZEN is written: one forked meanwhile keeps the
    // cgroup FREEZING until FROZEN is written again (runc retries the same way).
    if (!f.v2) BERTH_TRY(request(f, true));
  }
}

}  // namespace

Status freeze(const CgroupSet& set, std::chrono::milliseconds timeout) {
  BERTH_ASSIGN(Freezer f, find_freezer(set));
  const std::string what = "freeze cgroup " + f.dir;
  BERTH_TRY(request(f, true).context(what));
  auto done = wait_frozen(f, timeout);
  if (done) return ok();
  // Half-frozen is the worst outcome: some processes stopped mid-work, others not.
  auto thawed = request(f, false);
  std::string undo = thawed ? "; thawed it again" : "; thawing it again failed too: " + thawed.error().message();
  return Error(done.error().code(), what + ": " + done.error().message() + undo);
}

Status thaw(const CgroupSet& set) {
  BERTH_ASSIGN(Freezer f, find_freezer(set));
  return request(f, false).context("thaw cgroup " + f.dir);
}

Result<bool> is_frozen(const CgroupSet& set) {
  BERTH_ASSIGN(Freezer f, find_freezer(set));
  return frozen_now(f);
}

}  // namespace berth::cgroups
