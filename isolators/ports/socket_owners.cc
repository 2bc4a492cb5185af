#include "isolators/ports/socket_owners.h"

#include <unistd.h>

#include <array>

#include "common/file.h"
#include "common/strings.h"
#include "isolators/cgroups/cgroup_set.h"

namespace berth::isolators::ports {
namespace {

std::string proc_path(pid_t pid, std::string_view rest) { return "/proc/" + std::to_string(pid) + std::string(rest); }

// The target of the symlink `path`; nullopt when it is gone (the fd was closed meanwhile).
Result<std::optional<std::string>> read_link(const std::string& path) {
  std::array<char, 256> buf{};
  ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
  if (n < 0 && errno == ENOENT) return std::optional<std::string>{};
  if (n < 0) return Error::from_errno("readlink " + path);
  return std::optional<std::string>{std::string(buf.data(), static_cast<size_t>(n))};
}

// Appends the pids in a /proc/<pid>/task/<tid>/children file ("12 34 ").
void append_children(pid_t pid, std::vector<pid_t>& out) {
  auto tasks = list_dir(proc_path(pid, "/task"));
  if (!tasks) return;
  for (const auto& tid : *tasks) {
    auto text = read_file(proc_path(pid, "/task/" + tid + "/children"));
    if (!text) continue;
    for (const auto& word : split(std::string(trim(*text)), ' ')) {
      if (auto child = parse_uint(word)) out.push_back(static_cast<pid_t>(*child));
    }
  }
}

}  // namespace

std::optional<uint64_t> socket_inode_of_link(std::string_view target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!starts_with(target, kPrefix) || target.size() <= kPrefix.size() + 1 || target.back() != ']') {
    return std::nullopt;
  }
  return parse_uint(target.substr(kPrefix.size(), target.size() - kPrefix.size() - 1));
}

Result<std::set<uint64_t>> socket_inodes(const std::vector<pid_t>& pids) {
  std::set<uint64_t> inodes;
  for (pid_t pid : pids) {
    const std::string fd_dir = proc_path(pid, "/fd");
    auto fds = list_dir(fd_dir);
    if (!fds && (fds.error().code() == ENOENT || fds.error().code() == ESRCH)) continue;  // exited
    if (!fds) return std::move(fds).error().context("list the open files of pid " + std::to_string(pid));
    for (const auto& fd : *fds) {
      BERTH_ASSIGN(auto target, read_link(path_join(fd_dir, fd)));
      if (!target) continue;
      if (auto inode = socket_inode_of_link(*target)) inodes.insert(*inode);
    }
  }
  return inodes;
}

std::vector<pid_t> process_tree(pid_t pid) {
  std::vector<pid_t> tree;
  if (pid <= 0 || !path_exists(proc_path(pid, ""))) return tree;
  tree.push_back(pid);
  // Breadth first; each pid's children are appended behind it.
  for (size_t next = 0; next < tree.size(); ++next) append_children(tree[next], tree);
  return tree;
}

Result<std::vector<pid_t>> container_processes(const cgroups::HostCgroups* host, const std::string& cgroup,
                                               pid_t init) {
  if (host != nullptr && !cgroup.empty()) {
    auto pids = cgroups::CgroupSet::plan(*host, cgroup).pids();
    if (!pids) return std::move(pids).error().context("list the processes of cgroup " + cgroup);
    if (!pids->empty()) return pids;
  }
  return process_tree(init);
}

}  // namespace berth::isolators::ports
