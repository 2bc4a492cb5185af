// Reading containers back: liveness, status, list, kill, ps.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>

#include "common/file.h"
#include "common/strings.h"
#include "isolators/cgroups/freezer.h"
#include "runtime/container/container.h"
#include "runtime/oci/spec.h"
#include "runtime/oci/state.h"

namespace berth::container {
namespace {

// Fields of /proc/<pid>/stat after the command name: state is field 3, starttime field 22.
Result<std::pair<char, unsigned long long>> read_stat(pid_t pid) {
  BERTH_ASSIGN(auto text, read_file("/proc/" + std::to_string(pid) + "/stat"));
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return Error(EINVAL, "malformed /proc stat");
  auto fields = split(std::string_view(text).substr(close + 2), ' ');
  if (fields.size() < 20) return Error(EINVAL, "malformed /proc stat");
  auto start = parse_uint(fields[19]);
  if (!start) return Error(EINVAL, "malformed /proc stat start time");
  return std::make_pair(fields[0].empty() ? '?' : fields[0][0], static_cast<unsigned long long>(*start));
}

}  // namespace

Result<unsigned long long> process_start_time(pid_t pid) {
  BERTH_ASSIGN(auto st, read_stat(pid));
  return st.second;
}

bool process_alive(pid_t pid, unsigned long long start_time) {
  if (pid <= 0) return false;
  auto st = read_stat(pid);
  if (!st) return false;
  if (st->first == 'Z' || st->first == 'X') return false;
  return start_time == 0 || st->second == start_time;
}

Result<StateView> state(const std::string& root, const std::string& id) {
  BERTH_TRY(validate_id(id));
  StatePaths paths(root, id);
  BERTH_ASSIGN(Record record, load_record(paths));
  StateView view{std::move(record), "stopped"};
  if (process_alive(view.record.pid, view.record.start_time)) {
    view.status = path_exists(paths.exec_fifo()) ? "created" : "running";
    // Paused is no state of its own on disk: the kernel's freezer is the truth, as in runc.
    auto frozen = cgroups::is_frozen(cgroups::CgroupSet(view.record.cgroups));
    if (frozen && *frozen) view.status = "paused";
  }
  return view;
}

Result<std::vector<StateView>> list(const std::string& root) {
  std::vector<StateView> out;
  if (!path_exists(root)) return out;
  BERTH_ASSIGN(auto names, list_dir(root));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (validate_id(name)) {
      auto view = state(root, name);
      if (view) out.push_back(std::move(*view));
    }
  }
  return out;
}

std::string state_json(const StateView& view, bool pretty) {
  oci::State s;
  s.oci_version = std::string(oci::kOciVersion);
  s.id = view.record.id;
  s.status = view.status;
  s.pid = view.status == "stopped" ? 0 : view.record.pid;
  s.bundle = view.record.bundle;
  s.annotations = view.record.annotations;
  return oci::state_to_json(s, pretty);
}

Status kill(const std::string& root, const std::string& id, int signal, bool all) {
  BERTH_ASSIGN(StateView view, state(root, id));
  cgroups::CgroupSet set(view.record.cgroups);
  if (all) {
    BERTH_TRY(set.signal_all(signal).context("container \"" + id + "\""));
  } else {
    if (view.status == "stopped") return Error(ESRCH, "container \"" + id + "\" is not running");
    if (::kill(view.record.pid, signal) != 0) {
      return Error::from_errno("send signal " + std::to_string(signal) + " to container \"" + id + "\"");
    }
  }
  // A frozen task cannot act on SIGKILL: thaw a paused container so that it dies (runc does).
  if (signal == SIGKILL && view.status == "paused") BERTH_TRY(cgroups::thaw(set));
  return ok();
}

Result<std::vector<pid_t>> processes(const std::string& root, const std::string& id) {
  BERTH_ASSIGN(StateView view, state(root, id));
  cgroups::CgroupSet set(view.record.cgroups);
  return set.pids();
}

}  // namespace berth::container
