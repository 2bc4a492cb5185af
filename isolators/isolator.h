// The Mesos-style isolator life cycle: one small interface that every isolator (cpu, memory,
// disk, gpu, ports) implements, and that the engine drives without knowing which ones exist.
// An isolator never makes the container itself: prepare() returns what the container's spec
// must gain (mounts, devices, environment) as plain values, and the runtime makes them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <cereal/cereal.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "common/result.h"
#include "isolators/cgroups/stats.h"
#include "networking/addr/port_range.h"
#include "runtime/oci/spec.h"

namespace berth::isolators {

// Host port ranges are networking's values; the isolators use them as they are.
using networking::PortRange;

// What a container asks of the node, in Mesos' terms.
struct ResourceRequest {
  std::optional<double> cpus;              // fractional cores: shares/weight, quota if hard
  bool cpu_hard_limit = false;             // also cap at cpus * period with a CFS quota
  std::optional<uint64_t> mem_bytes;       // hard limit
  std::optional<uint64_t> mem_soft_bytes;  // soft limit: v1 reservation, v2 memory.low
  std::optional<uint64_t> disk_bytes;      // writable layer + sandbox + volumes
  uint32_t gpus = 0;                       // whole NVIDIA GPUs, exclusively
  std::vector<std::string> cdi_devices;    // fully qualified CDI names: "vendor.com/class=name"
  std::vector<PortRange> ports;            // host ports the container may listen on

  template <class Archive>
  void serialize(Archive& ar) {
    ar(CEREAL_NVP(cpus), CEREAL_NVP(cpu_hard_limit), CEREAL_NVP(mem_bytes), CEREAL_NVP(mem_soft_bytes),
       CEREAL_NVP(disk_bytes), CEREAL_NVP(gpus), CEREAL_NVP(cdi_devices), CEREAL_NVP(ports));
  }
};

// One container as the isolators see it; the engine keeps it in its record so that
// recover() gets it back after a restart.
struct ContainerConfig {
  std::string id;
  std::string cgroup;       // relative cgroup path in every hierarchy: "/berth/<id>"
  std::string sandbox_dir;  // host directory of its writable layer, sandbox and volumes
  ResourceRequest resources;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(CEREAL_NVP(id), CEREAL_NVP(cgroup), CEREAL_NVP(sandbox_dir), CEREAL_NVP(resources));
  }
};

// What prepare() adds to the container's OCI spec before the container is created.
struct LaunchAdditions {
  std::vector<oci::Mount> mounts;
  std::vector<oci::Device> devices;  // device nodes made inside, and allowed by the device cgroup
  std::vector<std::string> env;      // "NAME=value"
};

// A limit the container broke: reported to the user as the reason it stopped, and, when
// `kill` is set, the engine stops the container for it.
struct Limitation {
  std::string resource;  // "mem", "disk", "ports"
  std::string reason;    // machine-readable, as kubelet and Mesos expect: "OOMKilled"
  std::string message;   // for people: what was over which limit
  bool kill = false;
};

// What a container uses now; each isolator fills its part.
struct Usage {
  std::optional<cgroups::Stats> cgroup;
  std::optional<uint64_t> disk_used_bytes, disk_limit_bytes;
  std::vector<std::string> gpus;          // UUIDs of the GPUs it holds
  std::vector<uint16_t> listening_ports;  // TCP/UDP ports it listens on
};

class Isolator {
 public:
  Isolator() = default;
  Isolator(const Isolator&) = delete;
  Isolator& operator=(const Isolator&) = delete;
  virtual ~Isolator() = default;

  [[nodiscard]] virtual std::string_view name() const = 0;

  // After a restart: `known` are the containers the engine still has. The isolator rebuilds
  // what it holds for them and releases what it finds of any other container.
  virtual Status recover(const std::vector<ContainerConfig>& known) = 0;
  // Before the container exists: reserve what it gets and say what its spec must gain.
  // Refuses (and reserves nothing) when the node cannot give what is asked.
  virtual Status prepare(const ContainerConfig& c, LaunchAdditions& out) = 0;
  // The container's init is `pid`, placed in its cgroups, before the user's process runs.
  virtual Status isolate(const ContainerConfig& c, pid_t pid) = 0;
  // New resources for a running container; `c` still holds the old ones.
  virtual Status update(const ContainerConfig& c, const ResourceRequest& next) = 0;
  virtual Status usage(const ContainerConfig& c, Usage& into) = 0;
  // Polled by the engine: a limit the container has broken since it started, if any.
  virtual Result<std::optional<Limitation>> check(const ContainerConfig& c) = 0;
  // The container is gone (or never started): release everything held for it. Safe to
  // call twice and after a failed prepare().
  virtual Status cleanup(const ContainerConfig& c) = 0;
};

}  // namespace berth::isolators
