// create, start, run and delete.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>

#include "common/file.h"
#include "common/log.h"
#include "common/time.h"
#include "isolators/cgroups/cgroup_set.h"
#include "isolators/cgroups/freezer.h"
#include "isolators/cgroups/resources.h"
#include "runtime/container/container.h"
#include "runtime/linux/hooks.h"
#include "runtime/linux/launcher.h"
#include "runtime/oci/state.h"

namespace berth::container {
namespace {

std::string hook_state_json(const std::string& id, const std::string& bundle,
                            const std::map<std::string, std::string>& annotations, pid_t pid, const char* status) {
  oci::State s{std::string(oci::kOciVersion), id, status, pid, bundle, annotations};
  return oci::state_to_json(s, false);
}

std::vector<rt::CgroupView> cgroup_views(const cgroups::CgroupSet& set) {
  std::vector<rt::CgroupView> views;
  for (const auto& d : set.dirs()) {
    std::string controllers;
    for (const auto& c : d.controllers) controllers += (controllers.empty() ? "" : ",") + c;
    std::string name = d.v2 ? "" : basename_of(d.mount_point);
    views.push_back(rt::CgroupView{name, d.path, controllers, d.v2});
  }
  return views;
}

// Undoes a half-made container: cgroups and state directory.
class CreateRollback {
 public:
  explicit CreateRollback(std::string dir) : dir_(std::move(dir)) {}
  CreateRollback(const CreateRollback&) = delete;
  CreateRollback& operator=(const CreateRollback&) = delete;
  ~CreateRollback() {
    if (done_) return;
    (void)cgroups_.remove();
    (void)remove_tree(dir_);
  }
  void set_cgroups(cgroups::CgroupSet set) { cgroups_ = std::move(set); }
  void commit() { done_ = true; }

 private:
  std::string dir_;
  cgroups::CgroupSet cgroups_;
  bool done_ = false;
};

Status make_state_dir(const StatePaths& paths, const std::string& id) {
  BERTH_TRY(mkdir_p(paths.root, 0711));
  if (::mkdir(paths.dir.c_str(), 0711) != 0) {
    if (errno == EEXIST) return Error(EEXIST, "container \"" + id + "\" already exists");
    return Error::from_errno("create state directory " + paths.dir);
  }
  return ok();
}

Result<oci::Spec> load_config(const std::string& bundle, std::string& text) {
  std::string path = path_join(bundle, "config.json");
  BERTH_ASSIGN(text, read_file(path));
  auto spec = oci::parse_spec(text);
  if (!spec) return std::move(spec).error().context(path);
  if (!spec->root) return Error(EINVAL, path + ": root: required");
  return spec;
}

// The init opens the fifo as the container's root: in a user namespace that is another
// host uid, so the fifo belongs to it (mode 0622 whatever our umask).
Status make_exec_fifo(const std::string& path, const oci::Spec& spec) {
  if (::mkfifo(path.c_str(), 0622) != 0) return Error::from_errno("mkfifo " + path);
  if (::chmod(path.c_str(), 0622) != 0) return Error::from_errno("chmod " + path);
  uid_t uid = 0;
  gid_t gid = 0;
  if (spec.linux) {
    for (const auto& m : spec.linux->uid_mappings) {
      if (m.container_id == 0) uid = m.host_id;
    }
    for (const auto& m : spec.linux->gid_mappings) {
      if (m.container_id == 0) gid = m.host_id;
    }
  }
  if ((uid != 0 || gid != 0) && ::chown(path.c_str(), uid, gid) != 0) return Error::from_errno("chown " + path);
  return ok();
}

Status write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return ok();
  BERTH_ASSIGN(auto abs, absolute_path(path));
  return write_file_atomic(abs, std::to_string(pid), 0644, Durability::kVolatile).context("write pid file");
}

Result<oci::Spec> saved_spec(const StatePaths& paths) {
  BERTH_ASSIGN(auto text, read_file(paths.config()));
  return oci::parse_spec(text);
}

// Waits up to `timeout_ms` for `pid` to exit (it may not be our child).
bool wait_gone(pid_t pid, unsigned long long start_time, int timeout_ms) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd) {
    pollfd p{pidfd.get(), POLLIN, 0};
    ::poll(&p, 1, timeout_ms);
  }
  for (int waited = 0; waited < timeout_ms && process_alive(pid, start_time); waited += 1) ::usleep(1000);
  return !process_alive(pid, start_time);
}

void run_poststop(const StatePaths& paths, const Record& r) {
  auto spec = saved_spec(paths);
  if (!spec || spec->hooks.poststop.empty()) return;
  std::string st = hook_state_json(r.id, r.bundle, r.annotations, 0, "stopped");
  for (const auto& h : spec->hooks.poststop) {
    if (auto s = rt::run_hook(h, st, "poststop"); !s) log::warn(s.error().message());
  }
}

}  // namespace

Result<pid_t> create(const CreateOptions& o) {
  BERTH_TRY(validate_id(o.id));
  BERTH_ASSIGN(std::string bundle, absolute_path(o.bundle.empty() ? "." : o.bundle));
  std::string config_text;
  BERTH_ASSIGN(oci::Spec spec, load_config(bundle, config_text));
  std::string rootfs = spec.root->path[0] == '/' ? spec.root->path : path_join(bundle, spec.root->path);
  StatePaths paths(o.root, o.id);
  BERTH_TRY(make_state_dir(paths, o.id));
  CreateRollback rollback(paths.dir);
  BERTH_ASSIGN(auto host, cgroups::discover());
  std::string cg_path = cgroups::resolve_cgroups_path(spec.linux ? spec.linux->cgroups_path : "", o.id);
  auto cgroup_set = cgroups::CgroupSet::plan(host, cg_path);
  BERTH_TRY(make_exec_fifo(paths.exec_fifo(), spec));
  BERTH_TRY(write_file(paths.config(), config_text, 0600));

  rt::LaunchRequest req;
  req.spec = &spec;
  req.bundle = bundle;
  req.rootfs = rootfs;
  req.exec_fifo = paths.exec_fifo();
  req.console_socket = o.console_socket;
  req.console_fd = o.console_fd;
  req.preserve_fds = o.preserve_fds;
  req.no_pivot = o.no_pivot;
  req.no_new_keyring = o.no_new_keyring;
  // Runs while the init makes its namespaces and mounts (see LaunchRequest).
  req.enter_cgroups = [&](pid_t pid) -> Status {
    BERTH_TRY(cgroup_set.make());
    rollback.set_cgroups(cgroup_set);
    if (spec.linux && spec.linux->resources) {
      BERTH_TRY(cgroups::apply_resources(cgroup_set, *spec.linux->resources, spec.linux->devices));
    }
    return cgroup_set.add_process(pid);
  };
  req.cgroup_views = cgroup_views(cgroup_set);
  req.hook_state = [&](pid_t pid, const char* status) {
    return hook_state_json(o.id, bundle, spec.annotations, pid, status);
  };
  BERTH_ASSIGN(pid_t pid, rt::launch_container(req));

  Record r;
  r.id = o.id;
  r.bundle = bundle;
  r.rootfs = rootfs;
  r.pid = pid;
  auto start_time = process_start_time(pid);
  r.start_time = start_time ? *start_time : 0;
  r.created = rfc3339_now();
  r.annotations = spec.annotations;
  r.cgroups = cgroup_set.dirs();
  auto saved = save_record(paths, r);
  if (saved) saved = write_pid_file(o.pid_file, pid);
  if (!saved) {
    ::kill(pid, SIGKILL);
    return std::move(saved).error();
  }
  rollback.commit();
  return pid;
}

Status start(const std::string& root, const std::string& id) {
  BERTH_ASSIGN(StateView view, state(root, id));
  if (view.status != "created") {
    return Error(EINVAL, "cannot start container \"" + id + "\": it is " + view.status + ", not created");
  }
  StatePaths paths(root, id);
  auto spec = saved_spec(paths);
  if (spec && !spec->process) return Error(EINVAL, "cannot start container \"" + id + "\": config.json has no process");
  UniqueFd fifo(::open(paths.exec_fifo().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return Error::from_errno("open exec fifo of container \"" + id + "\"");
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, view.record.pid, 0)));
  pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  // The init writes one byte, then its end of the fifo closes when it execs the user
  // process (or dies): poststart hooks must run after that, not before.
  bool released = false;
  for (;;) {
    int n = ::poll(fds, pidfd && !released ? 2 : 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("wait for container \"" + id + "\" to start");
    char c;
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t got = ::read(fifo.get(), &c, 1);
      if (got == 1) released = true;
      if (got == 0 && released) break;
      if (got == 0 && !released && (fds[0].revents & POLLHUP)) {
        return Error(ESRCH, "container \"" + id + "\" exited before it could start");
      }
    }
    if (!released && (fds[1].revents & POLLIN)) {
      return Error(ESRCH, "container \"" + id + "\" exited before it could start");
    }
  }
  ::unlink(paths.exec_fifo().c_str());
  if (spec && !spec->hooks.poststart.empty()) {
    std::string st = hook_state_json(id, view.record.bundle, view.record.annotations, view.record.pid, "running");
    for (const auto& h : spec->hooks.poststart) {
      if (auto s = rt::run_hook(h, st, "poststart"); !s) log::warn(s.error().message());
    }
  }
  return ok();
}

Status remove(const std::string& root, const std::string& id, bool force) {
  auto view = state(root, id);
  if (!view) {
    if (force && view.error().code() == ENOENT) return ok();
    return std::move(view).error();
  }
  const Record& r = view->record;
  // The spec: deleting a container that is not stopped is an error and changes nothing.
  if (view->status != "stopped" && !force) {
    return Error(EBUSY, "cannot delete container \"" + id + "\" that is not stopped: " + view->status);
  }
  cgroups::CgroupSet set(r.cgroups);
  if (view->status != "stopped") {
    (void)set.signal_all(SIGKILL);
    ::kill(r.pid, SIGKILL);
    // A frozen process keeps SIGKILL pending until thawed (a paused container, or one a
    // concurrent pause is freezing); thawing after the signal lets it die without running
    // another instruction.
    (void)cgroups::thaw(set);
    if (!wait_gone(r.pid, r.start_time, 10000))
      return Error(EBUSY, "container \"" + id + "\" did not die after SIGKILL");
  }
  BERTH_TRY(set.remove().context("delete container \"" + id + "\""));
  StatePaths paths(root, id);
  run_poststop(paths, r);
  return remove_tree(paths.dir);
}

}  // namespace berth::container
