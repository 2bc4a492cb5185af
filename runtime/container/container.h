// The container life cycle behind berth-oci (what runc's libcontainer is to runc):
// create, start, run, state, list, kill, delete, exec, ps over a state root directory.
// It composes runtime/linux (processes, namespaces, rootfs) with isolators/cgroups.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/container/record.h"

namespace berth::container {

struct CreateOptions {
  std::string root;  // state root (--root)
  std::string id;
  std::string bundle;  // defaults to the current directory
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  int console_fd = -1;  // internal: a connected console socket instead of console_socket
  bool no_pivot = false;
  bool no_new_keyring = false;
};

struct StateView {
  Record record;
  std::string status;  // created, running, paused, stopped (creating is never seen: records are written after)
};

Result<pid_t> create(const CreateOptions& options);
Status start(const std::string& root, const std::string& id);
// create + start; without detach, waits and returns the exit status (128+signal when killed),
// forwarding signals, then deletes the container.
Result<int> run(const CreateOptions& options, bool detach);

Result<StateView> state(const std::string& root, const std::string& id);
Result<std::vector<StateView>> list(const std::string& root);
// The OCI state document of a container, pretty-printed like runc.
std::string state_json(const StateView& view, bool pretty);

Status kill(const std::string& root, const std::string& id, int signal, bool all);
Status remove(const std::string& root, const std::string& id, bool force);
Result<std::vector<pid_t>> processes(const std::string& root, const std::string& id);

struct ExecOptions {
  std::string root, id;
  std::string process_file;  // --process: a process.json; else args and flags below
  std::vector<std::string> args;
  std::vector<std::string> env;   // added to (and overriding) the container's env
  std::vector<std::string> caps;  // added capabilities
  std::string cwd, user;          // user: "uid[:gid]"
  std::vector<uint32_t> additional_gids;
  std::string console_socket, pid_file;
  std::string apparmor, process_label;
  bool tty = false, detach = false, no_new_privs = false;
  bool ignore_paused = false;  // exec into a paused container (the process starts frozen)
  bool tty_set = false;
  int preserve_fds = 0;
};

// Runs a process in a running container; returns its exit status (0 when detached).
Result<int> exec(const ExecOptions& options);

// Forwards the usual terminal signals (INT, TERM, HUP, QUIT, USR1/2, WINCH) to `pid`.
void forward_signals_to(pid_t pid);
// Waits for our child `pid`; its exit status, or 128+signal.
Result<int> wait_exit(pid_t pid);

// True while `pid` is alive and is still the process started at `start_time`.
bool process_alive(pid_t pid, unsigned long long start_time);
Result<unsigned long long> process_start_time(pid_t pid);

}  // namespace berth::container
