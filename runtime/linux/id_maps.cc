#include "runtime/linux/id_maps.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/file.h"

namespace berth::rt {
namespace {

std::string id_map_text(const std::vector<oci::IdMapping>& maps) {
  std::string text;
  for (const auto& m : maps) {
    text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  }
  return text;
}

}  // namespace

Status write_id_maps(pid_t pid, const std::vector<oci::IdMapping>& uids, const std::vector<oci::IdMapping>& gids) {
  std::string base = "/proc/" + std::to_string(pid);
  BERTH_TRY(write_existing(base + "/uid_map", id_map_text(uids)).context("write uid mappings"));
  BERTH_TRY(write_existing(base + "/gid_map", id_map_text(gids)).context("write gid mappings"));
  return ok();
}

Result<UniqueFd> make_mapped_user_namespace(const std::vector<oci::IdMapping>& uids,
                                            const std::vector<oci::IdMapping>& gids) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Error::from_errno("pipe");
  UniqueFd wait_end(pipe_fds[0]), release_end(pipe_fds[1]);
  // The holder only has to exist while we map it and open its namespace.
  long pid = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid < 0) return Error::from_errno("clone a user namespace for an idmapped mount");
  if (pid == 0) {
    ::close(release_end.get());  // or our own copy would keep the read below from ending
    char c;
    (void)!::read(wait_end.get(), &c, 1);
    _exit(0);
  }
  auto reap = [pid] {
    while (::waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
    }
  };
  Status st = write_id_maps(static_cast<pid_t>(pid), uids, gids);
  UniqueFd ns;
  if (st) {
    ns.reset(::open(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) st = Error::from_errno("open the idmapped mount's user namespace");
  }
  release_end.reset();
  reap();
  if (!st) return std::move(st).error();
  return ns;
}

}  // namespace berth::rt
