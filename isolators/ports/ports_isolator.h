// The network/ports isolator (Mesos network/ports): each container is allotted host ports
// (resources.ports), and a periodic check holds the TCP/UDP ports it listens on against them.
// It only watches: it never closes a socket, never moves the calling thread into another
// namespace, and kills nothing itself (a Limitation with `kill` set asks the engine to).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"
#include "common/result.h"
#include "isolators/cgroups/hierarchy.h"
#include "isolators/isolator.h"
#include "isolators/ports/sock_diag.h"

namespace berth::isolators::ports {

// What a container listening outside its allotment leads to.
enum class PortPolicy : uint8_t { kReport, kKill };

struct PortsIsolatorOptions {
  // check() looks at the sockets at most this often; in between it answers what it last found.
  std::chrono::milliseconds scan_interval = std::chrono::seconds(30);
  PortPolicy policy = PortPolicy::kReport;
  // prepare() and update() refuse an allotment sharing a port with another container's: the
  // allotments are host ports, handed out disjoint (as Mesos offers them), so an overlap is a
  // scheduling mistake better refused than found later as two containers on one port.
  bool exclusive_allotments = true;
};

// Life cycle:
// - prepare() validates and records the allotment (refusing overlaps, see above);
// - isolate() holds the container's network namespace open (and its init's pid); until then
//   check() reports nothing and usage() lists no ports;
// - check() lists the listeners in that namespace with sock_diag and reports those outside the
//   allotment as Limitation{"ports", kPortsOutsideAllotment, ..., kill = policy == kKill}.
//   When the container shares the isolator's network namespace (the host's), only sockets its
//   processes hold open count: its cgroup's members, or its init's process tree without one.
// - update() replaces the allotment; the next check() scans again whatever the interval;
// - cleanup() closes the namespace fd and forgets the container (idempotent).
// recover(): allotments come back from `known`; the namespace is reopened through any process
// of the container's cgroup. Where none is found the container stays as before isolate()
// (checks skipped) until isolate() is called again.
// All methods may be called from several threads.
class PortsIsolator final : public Isolator {
 public:
  explicit PortsIsolator(PortsIsolatorOptions options = {}) : options_(options) {}

  [[nodiscard]] std::string_view name() const override { return "network/ports"; }
  Status recover(const std::vector<ContainerConfig>& known) override;
  Status prepare(const ContainerConfig& c, LaunchAdditions& out) override;
  Status isolate(const ContainerConfig& c, pid_t pid) override;
  Status update(const ContainerConfig& c, const ResourceRequest& next) override;
  Status usage(const ContainerConfig& c, Usage& into) override;
  Result<std::optional<Limitation>> check(const ContainerConfig& c) override;
  Status cleanup(const ContainerConfig& c) override;

 private:
  struct Watched {
    std::vector<PortRange> allotted;
    UniqueFd netns;  // invalid until isolate() (or a recover() that found a process)
    pid_t pid = 0;
    bool host_network = false;  // the isolator's own namespace: attribute sockets by inode
    std::optional<std::chrono::steady_clock::time_point> last_scan;
    std::optional<Limitation> last_found;
  };

  Result<Watched*> find(const ContainerConfig& c);
  Status check_exclusive(const std::string& id, const std::vector<PortRange>& ranges) const;
  Status watch_netns(const ContainerConfig& c, Watched& w, pid_t pid) const;
  Result<std::vector<Listener>> scan(const ContainerConfig& c, const Watched& w);
  // This host's cgroup hierarchies, discovered on first use.
  Result<const cgroups::HostCgroups*> host_cgroups();
  Result<pid_t> any_process_of(const ContainerConfig& c);

  const PortsIsolatorOptions options_;
  std::mutex mu_;
  std::map<std::string, Watched, std::less<>> containers_;
  std::optional<cgroups::HostCgroups> host_;
};

}  // namespace berth::isolators::ports
