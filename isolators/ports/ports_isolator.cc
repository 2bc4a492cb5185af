#include "isolators/ports/ports_isolator.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/log.h"
#include "isolators/cgroups/cgroup_set.h"
#include "isolators/ports/outside_allotment.h"
#include "isolators/ports/socket_owners.h"
#include "networking/addr/port_range.h"
#include "networking/netns/netns.h"

namespace berth::isolators::ports {
namespace {

std::string container_name(const ContainerConfig& c) { return "container \"" + c.id + "\""; }

std::string in_netns_of(const ContainerConfig& c, pid_t pid) {
  return "the network namespace of " + container_name(c) + " (pid " + std::to_string(pid) + ")";
}

}  // namespace

Result<PortsIsolator::Watched*> PortsIsolator::find(const ContainerConfig& c) {
  auto it = containers_.find(c.id);
  if (it == containers_.end()) return Error(ENOENT, container_name(c) + ": not prepared by the ports isolator");
  return &it->second;
}

Status PortsIsolator::check_exclusive(const std::string& id, const std::vector<PortRange>& ranges) const {
  if (!options_.exclusive_allotments) return ok();
  for (const auto& [other, w] : containers_) {
    if (other == id) continue;
    if (auto overlap = find_overlap(ranges, w.allotted)) {
      return Error(EADDRINUSE, "ports " + format_port_range(overlap->first) + " overlap ports " +
                                   format_port_range(overlap->second) + " allotted to container \"" + other + "\"");
    }
  }
  return ok();
}

Status PortsIsolator::watch_netns(const ContainerConfig& c, Watched& w, pid_t pid) const {
  const std::string what = "open " + in_netns_of(c, pid);
  auto netns = networking::Netns::of_pid(pid);
  if (!netns) return std::move(netns).error().context(what);
  auto id = netns->id();
  if (!id) return std::move(id).error().context(what);
  auto own = networking::own_netns_id();
  if (!own) return std::move(own).error().context(what);
  w.netns = netns->release();
  w.pid = pid;
  w.host_network = *id == *own;
  w.last_scan.reset();
  w.last_found.reset();
  return ok();
}

Result<const cgroups::HostCgroups*> PortsIsolator::host_cgroups() {
  if (!host_) {
    auto host = cgroups::discover();
    if (!host) return std::move(host).error().context("find the cgroup hierarchies");
    host_ = std::move(*host);
  }
  return &*host_;
}

Result<pid_t> PortsIsolator::any_process_of(const ContainerConfig& c) {
  if (c.cgroup.empty()) return Error(ENOENT, "no cgroup recorded");
  BERTH_ASSIGN(const cgroups::HostCgroups* host, host_cgroups());
  BERTH_ASSIGN(auto pids, cgroups::CgroupSet::plan(*host, c.cgroup).pids());
  if (pids.empty()) return Error(ESRCH, "no process in cgroup " + c.cgroup);
  return pids.front();
}

Result<std::vector<Listener>> PortsIsolator::scan(const ContainerConfig& c, const Watched& w) {
  const std::string what = "sock_diag dump in " + in_netns_of(c, w.pid);
  auto diag = w.host_network ? SockDiag::open() : SockDiag::open_in(w.netns.get());
  if (!diag) return std::move(diag).error().context(what);
  auto listeners = diag->listeners();
  if (!listeners) return std::move(listeners).error().context(what);
  if (!w.host_network) return listeners;

  // The host's namespace holds everyone's sockets: keep those the container's processes hold.
  const cgroups::HostCgroups* host = nullptr;
  if (!c.cgroup.empty()) {
    BERTH_ASSIGN(host, host_cgroups());
  }
  auto pids = container_processes(host, c.cgroup, w.pid);
  if (!pids) return std::move(pids).error().context("find the processes of " + container_name(c));
  auto inodes = socket_inodes(*pids);
  if (!inodes) return std::move(inodes).error().context("find the sockets of " + container_name(c));
  std::erase_if(*listeners, [&](const Listener& l) { return !inodes->contains(l.inode); });
  return listeners;
}

Status PortsIsolator::recover(const std::vector<ContainerConfig>& known) {
  std::lock_guard lock(mu_);
  std::map<std::string, Watched, std::less<>> recovered;
  for (const auto& c : known) {
    Watched& w = recovered[c.id];
    w.allotted = c.resources.ports;
    auto pid = any_process_of(c);
    Status watched = pid ? watch_netns(c, w, *pid) : Status(std::move(pid).error());
    if (!watched) {
      log::warn("ports isolator: " + container_name(c) +
                ": port checks wait for isolate(): " + watched.error().message());
    }
  }
  // Whatever was held for containers the engine no longer has is closed here.
  containers_ = std::move(recovered);
  return ok();
}

Status PortsIsolator::prepare(const ContainerConfig& c, LaunchAdditions& /*out*/) {
  std::lock_guard lock(mu_);
  if (containers_.contains(c.id)) return Error(EEXIST, container_name(c) + ": already prepared");
  if (auto valid = validate_port_ranges(c.resources.ports); !valid) {
    return std::move(valid).error().context(container_name(c));
  }
  if (auto free = check_exclusive(c.id, c.resources.ports); !free) {
    return std::move(free).error().context(container_name(c));
  }
  containers_[c.id].allotted = c.resources.ports;
  return ok();
}

Status PortsIsolator::isolate(const ContainerConfig& c, pid_t pid) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN(Watched * w, find(c));
  if (pid <= 0) return Error(EINVAL, container_name(c) + ": no init pid (" + std::to_string(pid) + ")");
  return watch_netns(c, *w, pid);
}

Status PortsIsolator::update(const ContainerConfig& c, const ResourceRequest& next) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN(Watched * w, find(c));
  if (auto valid = validate_port_ranges(next.ports); !valid) {
    return std::move(valid).error().context(container_name(c));
  }
  if (auto free = check_exclusive(c.id, next.ports); !free) return std::move(free).error().context(container_name(c));
  w->allotted = next.ports;
  w->last_scan.reset();
  w->last_found.reset();
  return ok();
}

Status PortsIsolator::usage(const ContainerConfig& c, Usage& into) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN(Watched * w, find(c));
  into.listening_ports.clear();
  if (!w->netns) return ok();
  BERTH_ASSIGN(auto listeners, scan(c, *w));
  into.listening_ports = listening_ports(listeners);
  return ok();
}

Result<std::optional<Limitation>> PortsIsolator::check(const ContainerConfig& c) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN(Watched * w, find(c));
  if (!w->netns) return std::optional<Limitation>{};
  const auto now = std::chrono::steady_clock::now();
  if (w->last_scan && now - *w->last_scan < options_.scan_interval) return w->last_found;

  BERTH_ASSIGN(auto listeners, scan(c, *w));
  w->last_scan = now;
  auto outside = outside_allotment(listeners, w->allotted);
  if (outside.empty()) {
    w->last_found.reset();
  } else {
    w->last_found =
        Limitation{"ports", std::string(kPortsOutsideAllotment), describe_outside_allotment(c.id, outside, w->allotted),
                   options_.policy == PortPolicy::kKill};
  }
  return w->last_found;
}

Status PortsIsolator::cleanup(const ContainerConfig& c) {
  std::lock_guard lock(mu_);
  containers_.erase(c.id);  // closes the namespace fd
  return ok();
}

}  // namespace berth::isolators::ports
