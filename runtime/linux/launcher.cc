#include "runtime/linux/launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/fd.h"
#include "common/file.h"
#include "common/json.h"
#include "runtime/linux/console.h"
#include "runtime/linux/hooks.h"
#include "runtime/linux/id_maps.h"
#include "runtime/linux/init.h"
#include "runtime/linux/sync.h"

namespace berth::rt {
namespace {

struct NamespaceInfo {
  const char* type;
  const char* proc_name;
  int flag;
};

constexpr NamespaceInfo kNamespaces[] = {
    {"user", "user", CLONE_NEWUSER},       {"pid", "pid", CLONE_NEWPID},    {"network", "net", CLONE_NEWNET},
    {"ipc", "ipc", CLONE_NEWIPC},          {"uts", "uts", CLONE_NEWUTS},    {"mount", "mnt", CLONE_NEWNS},
    {"cgroup", "cgroup", CLONE_NEWCGROUP}, {"time", "time", CLONE_NEWTIME},
};

// Owns the child until it is handed over: kills and reaps it on failure.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_t release() { return std::exchange(pid_, 0); }

 private:
  pid_t pid_;
};

// Points an internal fd above the range the caller preserves for the container, with a
// duplicate owned by `keep` (the original stays with its owner).
// The child closes the originals first thing (`originals`).
Status lift_fd(int& fd, int min_fd, std::vector<UniqueFd>& keep, std::vector<int>& originals) {
  if (fd < 0 || fd >= min_fd) return ok();
  int lifted = ::fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
  if (lifted < 0) return Error::from_errno("dup internal fd");
  keep.emplace_back(lifted);
  originals.push_back(fd);
  fd = lifted;
  return ok();
}

struct Namespaces {
  int clone_flags = 0;
  std::vector<NamespaceJoin> joins;
  std::vector<UniqueFd> owned;
  UniqueFd pid_join;
  bool new_cgroup = false, new_time = false, new_user = false;
};

Result<Namespaces> plan_namespaces(const oci::Spec& spec) {
  Namespaces out;
  if (!spec.linux) return out;
  for (const auto& ns : spec.linux->namespaces) {
    int flag = namespace_flag(ns.type);
    if (ns.path.empty()) {
      if (flag == CLONE_NEWCGROUP) {
        out.new_cgroup = true;
      } else if (flag == CLONE_NEWTIME) {
        out.new_time = true;
      } else {
        out.clone_flags |= flag;
      }
      if (flag == CLONE_NEWUSER) out.new_user = true;
      continue;
    }
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno("open " + ns.type + " namespace " + ns.path);
    if (flag == CLONE_NEWPID) {
      out.pid_join = std::move(fd);
      continue;
    }
    NamespaceJoin join{flag, fd.get(), ns.path};
    // The user namespace goes first: the others may be owned by it.
    if (flag == CLONE_NEWUSER) {
      out.joins.insert(out.joins.begin(), join);
    } else {
      out.joins.push_back(join);
    }
    out.owned.push_back(std::move(fd));
  }
  return out;
}

Status validate_namespaces(const oci::Spec& spec, const Namespaces& ns) {
  bool own_uts = (ns.clone_flags & CLONE_NEWUTS) != 0;
  for (const auto& j : ns.joins) own_uts = own_uts || j.flag == CLONE_NEWUTS;
  if (!own_uts && (!spec.hostname.empty() || !spec.domainname.empty())) {
    return Error(EINVAL, "hostname: setting it needs a uts namespace in linux.namespaces");
  }
  if (ns.new_user && spec.linux && (spec.linux->uid_mappings.empty() || spec.linux->gid_mappings.empty())) {
    return Error(EINVAL, "linux.uidMappings: required with a new user namespace");
  }
  return ok();
}

// The runtime-spec's seccomp agent protocol: the listener fd with a containerProcessState.
Status send_to_seccomp_agent(const oci::Spec& spec, int listener, pid_t pid, const std::string& state) {
  const auto& sc = *spec.linux->seccomp;
  BERTH_ASSIGN(UniqueFd sock, connect_console_socket(sc.listener_path));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  json_key(w, "ociVersion");
  json_string(w, oci::kOciVersion);
  json_key(w, "fds");
  w.StartArray();
  json_string(w, "seccompFd");
  w.EndArray();
  json_key(w, "pid");
  w.Int(pid);
  json_key(w, "metadata");
  json_string(w, sc.listener_metadata);
  json_key(w, "state");
  w.RawValue(state.data(), state.size(), rapidjson::kObjectType);
  w.EndObject();
  return send_fd(sock.get(), listener, std::string_view(buf.GetString(), buf.GetSize()))
      .context("send the seccomp listener to " + sc.listener_path);
}

// A send that fails because the init is gone reports why it went, when it said so.
Status send_to_init(int sync, SyncType type, std::string_view payload = {}) {
  auto st = sync_send(sync, type, payload);
  if (st || st.error().code() != EPIPE) return st;
  auto last = sync_receive(sync, "container init");
  if (last && last->type == SyncType::kError) return sync_error(*last).context("container init");
  return Error(EPIPE, "container init exited unexpectedly");
}

Status handshake(pid_t pid, int sync, const LaunchRequest& req, const Namespaces& ns) {
  if (ns.new_user) BERTH_TRY(write_id_maps(pid, req.spec->linux->uid_mappings, req.spec->linux->gid_mappings));
  BERTH_TRY(send_to_init(sync, SyncType::kGo));
  // The init makes its mounts meanwhile (see prepare_rootfs).
  if (req.enter_cgroups) BERTH_TRY(req.enter_cgroups(pid));
  BERTH_TRY(send_to_init(sync, SyncType::kCgroupsJoined));
  BERTH_TRY(sync_expect(sync, SyncType::kReadyForHooks, "container init").context("container init"));
  // The environment exists by now: hooks see the container as "created" (runtime-tools
  // checks this for prestart).
  std::string created = req.hook_state ? req.hook_state(pid, "created") : std::string("{}");
  BERTH_TRY(run_hooks(req.spec->hooks.prestart, created, "prestart"));
  BERTH_TRY(run_hooks(req.spec->hooks.create_runtime, created, "createRuntime"));
  BERTH_TRY(send_to_init(sync, SyncType::kHooksDone, created));
  for (;;) {
    BERTH_ASSIGN(auto m, sync_receive(sync, "container init"));
    UniqueFd passed(m.fd);
    if (m.type == SyncType::kSeccompFd) {
      BERTH_TRY(send_to_seccomp_agent(*req.spec, passed.get(), pid, created));
      continue;
    }
    if (m.type == SyncType::kCreated) return ok();
    if (m.type == SyncType::kError) return sync_error(m).context("container init");
    return Error(EPROTO, "container init: unexpected message " + std::to_string(static_cast<uint32_t>(m.type)));
  }
}

Result<InitConfig> make_init_config(const LaunchRequest& req, const Namespaces& ns,
                                    std::vector<UniqueFd>& idmap_namespaces) {
  InitConfig c;
  c.spec = req.spec;
  BERTH_ASSIGN(c.rootfs, plan_rootfs(*req.spec, req.bundle, req.rootfs, req.cgroup_views, req.no_pivot));
  BERTH_TRY(prepare_idmapped_mounts(c.rootfs, idmap_namespaces));
  const oci::Linux* lx = req.spec->linux ? &*req.spec->linux : nullptr;
  // The spec lets `create` go without a process (only `start` needs one): such an init
  // waits with an empty plan, and start refuses to release it.
  if (req.spec->process) {
    BERTH_ASSIGN(c.process, plan_process(*req.spec->process, lx && lx->seccomp ? &*lx->seccomp : nullptr,
                                         lx && lx->personality ? &*lx->personality : nullptr));
  }
  // Only what must exist at clone (pid, user) is cloned; the init unshares the rest
  // itself, in parallel with our cgroup work.
  c.unshare_flags = ns.clone_flags & ~(CLONE_NEWPID | CLONE_NEWUSER);
  c.new_mount_ns = (ns.clone_flags & CLONE_NEWNS) != 0;
  for (const auto& j : ns.joins) c.new_mount_ns = c.new_mount_ns || j.flag == CLONE_NEWNS;
  // A joined uts namespace is the container's own too: the hostname is set in it.
  c.new_uts_ns = (ns.clone_flags & CLONE_NEWUTS) != 0;
  for (const auto& j : ns.joins) c.new_uts_ns = c.new_uts_ns || j.flag == CLONE_NEWUTS;
  c.new_cgroup_ns = ns.new_cgroup;
  c.new_time_ns = ns.new_time;
  c.new_user_ns = ns.new_user;
  c.joins = ns.joins;
  c.preserve_fds = req.preserve_fds;
  c.no_new_keyring = req.no_new_keyring;
  BERTH_TRY(self_binary(c.self_dev, c.self_ino));
  return c;
}

}  // namespace

int namespace_flag(const std::string& type) {
  for (const auto& n : kNamespaces) {
    if (type == n.type) return n.flag;
  }
  return 0;
}

const char* namespace_proc_name(const std::string& type) {
  for (const auto& n : kNamespaces) {
    if (type == n.type) return n.proc_name;
  }
  return nullptr;
}

Status self_binary(dev_t& dev, ino_t& ino) {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) return Error::from_errno("stat /proc/self/exe");
  dev = st.st_dev;
  ino = st.st_ino;
  return ok();
}

Result<pid_t> launch_container(const LaunchRequest& req) {
  if (!req.spec->process && req.exec_fifo.empty()) return Error(EINVAL, "process: required to run a container");
  BERTH_ASSIGN(Namespaces ns, plan_namespaces(*req.spec));
  BERTH_TRY(validate_namespaces(*req.spec, ns));
  std::vector<UniqueFd> idmap_namespaces;
  BERTH_ASSIGN(InitConfig c, make_init_config(req, ns, idmap_namespaces));
  UniqueFd console;
  if (c.process.terminal && req.console_fd >= 0) {
    console.reset(::fcntl(req.console_fd, F_DUPFD_CLOEXEC, 3));
  } else if (c.process.terminal) {
    if (req.console_socket.empty()) {
      return Error(EINVAL, "process.terminal is true: a --console-socket is required to receive the pty");
    }
    BERTH_ASSIGN(console, connect_console_socket(req.console_socket));
  }
  UniqueFd fifo;
  if (!req.exec_fifo.empty()) {
    fifo.reset(::open(dirname_of(req.exec_fifo).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fifo) return Error::from_errno("open exec fifo " + req.exec_fifo);
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return Error::from_errno("socketpair");
  UniqueFd parent_end(pair[0]), child_end(pair[1]);
  c.sync_fd = child_end.get();
  c.exec_fifo_fd = fifo.get();
  c.console_socket_fd = console.get();
  int min_fd = 3 + req.preserve_fds;
  std::vector<UniqueFd> lifted;
  for (int* fd : {&c.sync_fd, &c.exec_fifo_fd, &c.console_socket_fd}) {
    BERTH_TRY(lift_fd(*fd, min_fd, lifted, c.close_on_start));
  }
  for (auto& j : c.joins) BERTH_TRY(lift_fd(j.fd, min_fd, lifted, c.close_on_start));
  for (auto& m : c.rootfs.mounts) BERTH_TRY(lift_fd(m.idmap_userns_fd, min_fd, lifted, c.close_on_start));
  c.close_on_start.push_back(parent_end.get());
  // Joining a pid namespace applies to our children: do it here, just before clone.
  if (ns.pid_join && ::setns(ns.pid_join.get(), CLONE_NEWPID) != 0) return Error::from_errno("join pid namespace");
  unsigned long clone_flags = static_cast<unsigned long>(ns.clone_flags & (CLONE_NEWPID | CLONE_NEWUSER)) | SIGCHLD;
  long pid = ::syscall(SYS_clone, clone_flags, nullptr, nullptr, nullptr, 0);
  if (pid < 0) return Error::from_errno("clone the container init");
  if (pid == 0) container_init(c);
  ChildGuard guard(static_cast<pid_t>(pid));
  // The child has its copies; close ours so that its exit shows as EOF on the sync socket.
  lifted.clear();
  child_end.reset();
  fifo.reset();
  console.reset();
  BERTH_TRY(handshake(static_cast<pid_t>(pid), parent_end.get(), req, ns));
  return guard.release();
}

}  // namespace berth::rt
