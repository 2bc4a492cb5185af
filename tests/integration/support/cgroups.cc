#include "tests/integration/support/cgroups.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <thread>

#include "common/file.h"
#include "common/strings.h"

namespace berth::integration {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPoll{20};

// "<mount point>/<relative>" in every hierarchy where that directory exists.
std::vector<std::string> existing_in_each_hierarchy(const std::string& relative) {
  std::string rel = relative;
  while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
  std::vector<std::string> out;
  for (const auto& mp : cgroup_mount_points()) {
    std::string dir = mp;
    dir += '/';
    dir += rel;
    if (path_exists(dir)) out.push_back(std::move(dir));
  }
  return out;
}

// Directories under `dir` (itself included), deepest first.
void collect_dirs_post_order(const std::string& dir, std::vector<std::string>& out) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == ".." || e->d_type != DT_DIR) continue;
      std::string sub = dir;
      sub += '/';
      sub += name;
      collect_dirs_post_order(sub, out);
    }
    ::closedir(d);
  }
  out.push_back(dir);
}

void kill_cgroup_members(const std::string& dir) {
  auto procs = read_file(dir + "/cgroup.procs");
  if (!procs) return;
  for (const auto& line : split(*procs, '\n')) {
    if (auto pid = parse_uint(trim(line)); pid && *pid > 0) ::kill(static_cast<pid_t>(*pid), SIGKILL);
  }
}

}  // namespace

std::vector<std::string> cgroup_mount_points() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::vector<std::string> points;
  std::vector<std::string> seen_devices;
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::vector<std::string> f = split(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (dash == f.end() || dash + 1 == f.end() || f.size() < 5) continue;
    const std::string& fstype = *(dash + 1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    if (f[3] != "/") continue;
    if (std::find(seen_devices.begin(), seen_devices.end(), f[2]) != seen_devices.end()) continue;
    seen_devices.push_back(f[2]);
    points.push_back(f[4]);
  }
  return points;
}

std::vector<std::string> cgroup_dirs_of(const std::string& id) { return existing_in_each_hierarchy("berth/" + id); }

std::vector<std::string> cgroup_dirs_below(const std::string& relative) {
  std::vector<std::string> out;
  for (const auto& top : existing_in_each_hierarchy(relative)) {
    std::vector<std::string> dirs;
    collect_dirs_post_order(top, dirs);
    dirs.pop_back();  // top itself
    out.insert(out.end(), dirs.begin(), dirs.end());
  }
  return out;
}

std::string remove_cgroup_tree(const std::string& relative) {
  std::string rel = relative;
  while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
  if (!starts_with(rel, "berth") || rel.find("..") != std::string::npos) {
    return "refusing to remove cgroup " + relative + ": tests only touch cgroups named berth…\n";
  }
  std::string left;
  for (const auto& top : existing_in_each_hierarchy(rel)) {
    std::vector<std::string> dirs;
    collect_dirs_post_order(top, dirs);
    for (const auto& dir : dirs) {
      const auto deadline = Clock::now() + std::chrono::seconds(5);
      for (;;) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
        if (errno != EBUSY || Clock::now() >= deadline) {
          left += dir + ": " + std::strerror(errno) + "\n";
          break;
        }
        kill_cgroup_members(dir);
        std::this_thread::sleep_for(kPoll);
      }
    }
  }
  return left;
}

}  // namespace berth::integration
