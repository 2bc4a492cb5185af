#include "isolators/cgroups/cgroup_set.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "common/file.h"
#include "common/strings.h"

namespace berth::cgroups {
namespace {

// A new v1 cpuset cgroup starts with no cpus and no mems, and refuses tasks until they
// are set: inherit the parent's.
Status init_cpuset(const std::string& dir) {
  std::string parent = dirname_of(dir);
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    BERTH_ASSIGN(auto mine, read_file(path_join(dir, file)));
    if (!trim(mine).empty()) continue;
    BERTH_ASSIGN(auto value, read_file(path_join(parent, file)));
    auto v = trim(value);
    if (v.empty()) continue;
    BERTH_TRY(write_existing(path_join(dir, file), v));
  }
  return ok();
}

// Creates each missing component of `path` below `mount_point`, remembering what it made.
Status make_dirs(const std::string& mount_point, const std::string& relative, bool cpuset,
                 std::vector<std::string>& made) {
  std::string cur = mount_point;
  for (auto& part : split(relative, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return Error(EINVAL, "cgroupsPath \"" + relative + R"(": must not contain "..")");
    cur = path_join(cur, part);
    if (::mkdir(cur.c_str(), 0755) == 0) {
      made.push_back(cur);
    } else if (errno != EEXIST) {
      return Error::from_errno("create cgroup " + cur);
    }
    if (cpuset) BERTH_TRY(init_cpuset(cur));
  }
  return ok();
}

void remove_made(const std::vector<std::string>& made) {
  std::for_each(made.rbegin(), made.rend(), [](const std::string& dir) { ::rmdir(dir.c_str()); });  // deepest first
}

Result<std::vector<pid_t>> read_pids(const std::string& dir) {
  BERTH_ASSIGN(auto text, read_file(path_join(dir, "cgroup.procs")));
  std::vector<pid_t> pids;
  for (auto& line : split(text, '\n')) {
    if (auto v = parse_uint(line)) pids.push_back(static_cast<pid_t>(*v));
  }
  return pids;
}

// On v2 a controller works in a cgroup only when every ancestor delegates it: enable what
// the root offers in each level above the container.
Status enable_v2_controllers(const std::string& mount_point, const std::string& relative) {
  BERTH_ASSIGN(auto offered, read_file(path_join(mount_point, "cgroup.controllers")));
  std::string enable;
  for (auto& c : split(std::string(trim(offered)), ' ')) {
    if (!c.empty()) enable += (enable.empty() ? "+" : " +") + c;
  }
  if (enable.empty()) return ok();
  std::string cur = mount_point;
  auto parts = split(relative, '/');
  std::erase_if(parts, [](const std::string& p) { return p.empty(); });
  for (const auto& part : parts) {
    auto st = write_existing(path_join(cur, "cgroup.subtree_control"), enable);
    // EBUSY: the level holds processes itself (only allowed at the root); nothing to do.
    if (!st && st.error().code() != EBUSY) return st;
    cur = path_join(cur, part);
  }
  return ok();
}

}  // namespace

std::string resolve_cgroups_path(const std::string& cgroups_path, const std::string& id) {
  if (cgroups_path.empty()) return "/berth/" + id;
  if (cgroups_path[0] == '/') return cgroups_path;
  return "/berth/" + cgroups_path;
}

CgroupSet CgroupSet::plan(const HostCgroups& host, const std::string& relative) {
  std::vector<CgroupDir> dirs;
  for (const auto& h : host.hierarchies) {
    // On a hybrid host the v2 tree has no controllers; containers live in the v1 ones.
    if (h.v2 && host.mode == HostMode::kHybrid) continue;
    dirs.push_back(CgroupDir{path_join(h.mount_point, relative), h.mount_point, h.controllers, h.v2});
  }
  CgroupSet set(std::move(dirs));
  set.relative_ = relative;
  return set;
}

Status CgroupSet::make() const {
  std::vector<std::string> made;
  for (const auto& d : dirs_) {
    bool cpuset = !d.v2 && std::find(d.controllers.begin(), d.controllers.end(), "cpuset") != d.controllers.end();
    Status st = make_dirs(d.mount_point, relative_, cpuset, made);
    if (st && d.v2) st = enable_v2_controllers(d.mount_point, relative_);
    if (!st) {
      remove_made(made);
      return st;
    }
  }
  return ok();
}

Result<CgroupSet> CgroupSet::create(const HostCgroups& host, const std::string& relative) {
  CgroupSet set = plan(host, relative);
  BERTH_TRY(set.make());
  return set;
}

const CgroupDir* CgroupSet::v1_dir(std::string_view controller) const {
  for (const auto& d : dirs_) {
    if (!d.v2 && std::find(d.controllers.begin(), d.controllers.end(), controller) != d.controllers.end()) return &d;
  }
  return nullptr;
}

std::vector<std::string> CgroupSet::procs_files() const {
  std::vector<std::string> out;
  out.reserve(dirs_.size());
  for (const auto& d : dirs_) out.push_back(path_join(d.path, "cgroup.procs"));
  return out;
}

Status CgroupSet::add_process(pid_t pid) const {
  std::string value = std::to_string(pid);
  for (const auto& file : procs_files()) BERTH_TRY(write_existing(file, value));
  return ok();
}

Result<std::vector<pid_t>> CgroupSet::pids() const {
  for (const auto& d : dirs_) {
    if (path_exists(d.path)) return read_pids(d.path);
  }
  return std::vector<pid_t>{};
}

Status CgroupSet::signal_all(int signal) const {
  BERTH_ASSIGN(auto pids, this->pids());
  for (pid_t pid : pids) {
    if (::kill(pid, signal) != 0 && errno != ESRCH) {
      return Error::from_errno("send signal " + std::to_string(signal) + " to pid " + std::to_string(pid));
    }
  }
  return ok();
}

Status CgroupSet::remove(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(200);
  for (const auto& d : dirs_) {
    for (;;) {
      if (::rmdir(d.path.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY) return Error::from_errno("remove cgroup " + d.path);
      // Busy: processes are still there (or dying). Kill them and try again.
      if (auto pids = read_pids(d.path)) {
        for (pid_t pid : *pids) ::kill(pid, SIGKILL);
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return Error(EBUSY,
                     "remove cgroup " + d.path + ": still busy after " + std::to_string(timeout.count()) + " ms");
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(20000));
    }
  }
  return ok();
}

}  // namespace berth::cgroups
