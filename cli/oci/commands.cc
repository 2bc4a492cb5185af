#include "cli/oci/commands.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

#include "cli/oci/commands_cgroup.h"
#include "common/file.h"
#include "common/json.h"
#include "common/strings.h"
#include "runtime/container/container.h"
#include "runtime/oci/default_spec.h"
#include "runtime/oci/features.h"

namespace berth::cli {
namespace {

using Args = std::vector<std::string>;

const std::vector<FlagSpec> kCreateFlags = {
    {"bundle", "b", true},         {"console-socket", "", true}, {"pid-file", "", true}, {"no-pivot", "", false},
    {"no-new-keyring", "", false}, {"preserve-fds", "", true},   {"detach", "d", false}, {"keep", "", false},
    {"no-subreaper", "", false},   {"pidfd-socket", "", true},
};

Result<int> parse_count(const ParsedArgs& a, const char* flag) {
  if (!a.has(flag)) return 0;
  auto v = parse_uint(a.get(flag));
  if (!v || *v > 1u << 20) return Error(EINVAL, std::string("--") + flag + " \"" + a.get(flag) + "\": not a count");
  return static_cast<int>(*v);
}

Result<container::CreateOptions> create_options(const Globals& g, const ParsedArgs& a, const char* command) {
  if (a.has("pidfd-socket")) return Error(EOPNOTSUPP, "--pidfd-socket is not supported by berth-oci");
  container::CreateOptions o;
  o.root = g.root;
  BERTH_ASSIGN(o.id, one_id(a, command));
  o.bundle = a.get("bundle");
  o.console_socket = a.get("console-socket");
  o.pid_file = a.get("pid-file");
  o.no_pivot = a.flag("no-pivot");
  o.no_new_keyring = a.flag("no-new-keyring");
  BERTH_ASSIGN(o.preserve_fds, parse_count(a, "preserve-fds"));
  return o;
}

Result<int> cmd_create(const Globals& g, const Args& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, kCreateFlags, false));
  BERTH_ASSIGN(auto o, create_options(g, a, "create"));
  BERTH_TRY(container::create(o));
  return 0;
}

Result<int> cmd_run(const Globals& g, const Args& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, kCreateFlags, false));
  BERTH_ASSIGN(auto o, create_options(g, a, "run"));
  return container::run(o, a.flag("detach"));
}

Result<int> cmd_start(const Globals& g, const Args& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {}, false));
  BERTH_ASSIGN(auto id, one_id(a, "start"));
  BERTH_TRY(container::start(g.root, id));
  return 0;
}

Result<int> cmd_state(const Globals& g, const Args& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {}, false));
  BERTH_ASSIGN(auto id, one_id(a, "state"));
  BERTH_ASSIGN(auto view, container::state(g.root, id));
  std::printf("%s\n", container::state_json(view, true).c_str());
  return 0;
}

Result<int> cmd_kill(const Globals& g, const Args& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {{"all", "a", false}, {"pid", "p", true}}, false));
  if (a.positional.empty() || a.positional.size() > 2) {
    return Error(EINVAL, "kill: usage: kill [--all] <container-id> [signal]");
  }
  int sig = SIGTERM;
  if (a.positional.size() == 2) {
    BERTH_ASSIGN(sig, parse_signal(a.positional[1]));
  }
  BERTH_TRY(container::kill(g.root, a.positional[0], sig, a.flag("all")));
  return 0;
}

Result<int> cmd_delete(const Globals& g, const Args& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {{"force", "f", false}}, false));
  if (a.positional.empty()) return Error(EINVAL, "delete: expects at least one container id");
  for (const auto& id : a.positional) BERTH_TRY(container::remove(g.root, id, a.flag("force")));
  return 0;
}

// A container's state with runc's list fields added: rootfs, created, owner.
std::string list_entry_json(const container::StateView& view) {
  std::string s = container::state_json(view, false);
  s.pop_back();  // the state object's closing brace
  for (const auto& [key, value] : {std::pair<std::string_view, const std::string&>{"rootfs", view.record.rootfs},
                                   {"created", view.record.created},
                                   {"owner", view.record.owner}}) {
    s += ',' + json_quote(key) + ':' + json_quote(value);
  }
  return s + '}';
}

Result<int> cmd_list(const Globals& g, const Args& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {{"format", "f", true}, {"quiet", "q", false}}, false));
  BERTH_ASSIGN(auto views, container::list(g.root));
  std::string format = a.get("format", "table");
  if (a.flag("quiet")) {
    for (const auto& v : views) std::printf("%s\n", v.record.id.c_str());
  } else if (format == "json") {
    std::string out = "[";
    for (size_t i = 0; i < views.size(); ++i) out += (i ? "," : "") + list_entry_json(views[i]);
    std::printf("%s]\n", out.c_str());
  } else if (format == "table") {
    std::printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (const auto& v : views) {
      int pid = v.status == "stopped" ? 0 : v.record.pid;
      std::printf("%-20s %-8d %-10s %-40s %-30s %s\n", v.record.id.c_str(), pid, v.status.c_str(),
                  v.record.bundle.c_str(), v.record.created.c_str(),
                  v.record.owner.empty() ? "root" : v.record.owner.c_str());
    }
  } else {
    return Error(EINVAL, "list --format \"" + format + "\": want table or json");
  }
  return 0;
}

Result<int> cmd_ps(const Globals& g, const Args& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {{"format", "f", true}}, true));
  if (a.positional.empty()) return Error(EINVAL, "ps: expects a container id");
  BERTH_ASSIGN(auto pids, container::processes(g.root, a.positional[0]));
  if (a.get("format", "table") == "json") {
    std::string out = "[";
    for (size_t i = 0; i < pids.size(); ++i) out += (i ? "," : "") + std::to_string(pids[i]);
    std::printf("%s]\n", out.c_str());
    return 0;
  }
  // Like runc: run ps(1) with the given options and keep the header and our pids' lines.
  std::string cmd = "ps";
  if (a.positional.size() > 1) {
    for (size_t i = 1; i < a.positional.size(); ++i) cmd += " '" + a.positional[i] + "'";
  } else {
    cmd += " -ef";
  }
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return Error::from_errno("run " + cmd);
  char line[4096];
  int pid_column = -1;
  bool header = true;
  while (std::fgets(line, sizeof line, p) != nullptr) {
    auto fields = split(trim(line), ' ');
    std::erase_if(fields, [](const std::string& f) { return f.empty(); });
    if (header) {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "PID") pid_column = static_cast<int>(i);
      }
      std::fputs(line, stdout);
      header = false;
      continue;
    }
    if (pid_column < 0 || static_cast<size_t>(pid_column) >= fields.size()) continue;
    auto pid = parse_uint(fields[pid_column]);
    if (pid && std::find(pids.begin(), pids.end(), static_cast<pid_t>(*pid)) != pids.end()) std::fputs(line, stdout);
  }
  int status = ::pclose(p);
  if (pid_column < 0) return Error(EINVAL, "ps: the output has no PID column");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

Result<int> cmd_exec(const Globals& g, const Args& argv, size_t at) {
  static const std::vector<FlagSpec> kFlags = {
      {"process", "p", true},       {"detach", "d", false},      {"tty", "t", false},
      {"console-socket", "", true}, {"pid-file", "", true},      {"cwd", "", true},
      {"env", "e", true},           {"user", "u", true},         {"additional-gids", "g", true},
      {"cap", "c", true},           {"no-new-privs", "", false}, {"apparmor", "", true},
      {"process-label", "", true},  {"preserve-fds", "", true},  {"ignore-paused", "", false},
      {"cgroup", "", true},         {"pidfd-socket", "", true},
  };
  BERTH_ASSIGN(auto a, parse_args(argv, at, kFlags, true));
  if (a.positional.empty()) return Error(EINVAL, "exec: expects a container id");
  container::ExecOptions o;
  o.root = g.root;
  o.id = a.positional[0];
  o.args.assign(a.positional.begin() + 1, a.positional.end());
  o.process_file = a.get("process");
  o.detach = a.flag("detach");
  o.ignore_paused = a.flag("ignore-paused");
  o.tty = a.flag("tty");
  o.console_socket = a.get("console-socket");
  o.pid_file = a.get("pid-file");
  o.cwd = a.get("cwd");
  o.env = a.all("env");
  o.user = a.get("user");
  o.caps = a.all("cap");
  o.no_new_privs = a.flag("no-new-privs");
  o.apparmor = a.get("apparmor");
  o.process_label = a.get("process-label");
  for (const auto& gid : a.all("additional-gids")) {
    auto v = parse_uint(gid);
    if (!v) return Error(EINVAL, "--additional-gids \"" + gid + "\": not a number");
    o.additional_gids.push_back(static_cast<uint32_t>(*v));
  }
  BERTH_ASSIGN(o.preserve_fds, parse_count(a, "preserve-fds"));
  return container::exec(o);
}

Result<int> cmd_features(const Globals&, const Args&, size_t) {
  std::printf("%s\n", oci::features_json().c_str());
  return 0;
}

Result<int> cmd_spec(const Globals&, const Args& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, {{"bundle", "b", true}, {"rootless", "", false}}, false));
  std::string dir = a.get("bundle", ".");
  std::string path = path_join(dir, "config.json");
  if (path_exists(path)) return Error(EEXIST, "File " + path + " exists. Remove it first");
  BERTH_TRY(write_file(path, oci::default_spec_json(a.flag("rootless")) + "\n", 0644));
  return 0;
}

struct Command {
  const char* name;
  Result<int> (*fn)(const Globals&, const Args&, size_t);
  const char* help;
};

constexpr Command kCommands[] = {
    {"create", cmd_create, "create a container (the process waits for start)"},
    {"start", cmd_start, "run the user process of a created container"},
    {"run", cmd_run, "create and start a container"},
    {"state", cmd_state, "print the OCI state of a container"},
    {"kill", cmd_kill, "send a signal to a container's init (or all its processes)"},
    {"delete", cmd_delete, "delete a container and what it holds"},
    {"exec", cmd_exec, "run a new process in a running container"},
    {"list", cmd_list, "list containers"},
    {"ps", cmd_ps, "show the processes of a container"},
    {"features", cmd_features, "print the runtime-spec features document"},
    {"spec", cmd_spec, "write a default config.json"},
    {"pause", cmd_pause, "freeze every process of a container"},
    {"resume", cmd_resume, "thaw a paused container"},
    {"update", cmd_update, "change a container's cgroup resources"},
    {"events", cmd_events, "print a container's resource statistics and OOM events"},
};

}  // namespace

Result<std::string> one_id(const ParsedArgs& a, const char* command) {
  if (a.positional.size() != 1) {
    return Error(EINVAL, std::string(command) + ": expects exactly one container id, got " +
                             std::to_string(a.positional.size()) + " arguments");
  }
  return a.positional[0];
}

Result<int> parse_signal(const std::string& text) {
  const Error invalid(EINVAL, "invalid signal \"" + text + "\"");
  if (auto n = parse_uint(text)) {
    if (*n == 0 || *n > static_cast<uint64_t>(SIGRTMAX)) return invalid;
    return static_cast<int>(*n);
  }
  // Names in any case, with or without SIG, as runc takes them.
  std::string name = text;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
  if (starts_with(name, "SIG")) name.erase(0, 3);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) return sig;
  }
  if (starts_with(name, "RTMIN+")) {
    auto off = parse_uint(std::string_view(name).substr(6));
    if (off && *off <= static_cast<uint64_t>(SIGRTMAX - SIGRTMIN)) return SIGRTMIN + static_cast<int>(*off);
  }
  return invalid;
}

std::string usage_text() {
  std::string out =
      "usage: berth-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND [ARGS]\n\ncommands:\n";
  for (const auto& c : kCommands) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-10s %s\n", c.name, c.help);
    out += line;
  }
  return out;
}

Result<int> run_command(const Globals& g, const std::vector<std::string>& argv, size_t begin) {
  if (g.systemd_cgroup) return Error(EOPNOTSUPP, "--systemd-cgroup is not supported: berth-oci drives cgroupfs itself");
  for (const auto& c : kCommands) {
    if (argv[begin] == c.name) return c.fn(g, argv, begin + 1);
  }
  return Error(EINVAL, "unknown command \"" + argv[begin] + "\"; try --help");
}

}  // namespace berth::cli
