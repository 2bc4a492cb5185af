// linux.resources on cgroup v2: the unified files, with the spec's conversions.
#include <fcntl.h>

#include <optional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/file.h"
#include "common/strings.h"
#include "isolators/cgroups/device_bpf.h"
#include "isolators/cgroups/resources.h"
#include "isolators/cgroups/resources_internal.h"

namespace berth::cgroups {
namespace {

class V2Writer {
 public:
  explicit V2Writer(const CgroupSet& set) : dir_(set.dirs().front().path) {}
  Status write(const std::string& file, const std::string& value) const {
    return write_existing(path_join(dir_, file), value);
  }
  // The fields of what `file` holds now ("max 100000"); none when it cannot be read.
  [[nodiscard]] std::vector<std::string> current(const std::string& file) const {
    auto text = read_file(path_join(dir_, file));
    if (!text) return {};
    auto fields = split(std::string(trim(*text)), ' ');
    std::erase_if(fields, [](const std::string& f) { return f.empty(); });
    return fields;
  }

 private:
  std::string dir_;
};

// v2 has no devices.allow: the rules become an eBPF program on the cgroup directory.
Status apply_devices(const std::string& dir, const std::vector<DeviceRule>& rules) {
  BERTH_ASSIGN(UniqueFd prog, load_device_program(device_program(rules)));
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return Error::from_errno("open " + dir);
  return attach_device_program(dir_fd.get(), prog.get()).context(dir);
}

std::string max_or(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

Status apply_memory(const V2Writer& w, const oci::Resources::Memory& m) {
  if (m.limit) BERTH_TRY(w.write("memory.max", max_or(*m.limit)));
  if (m.reservation) BERTH_TRY(w.write("memory.low", max_or(*m.reservation)));
  // v1's swap is memory+swap; v2 limits swap alone. An update may change swap alone: the
  // memory limit is then the one the cgroup has.
  if (m.swap) {
    std::optional<int64_t> limit = m.limit;
    if (!limit) {
      auto now = w.current("memory.max");
      if (now.size() == 1) limit = parse_int(now[0]);
    }
    std::string swap = "max";
    if (*m.swap >= 0 && limit && *limit >= 0) {
      if (*m.swap < *limit) return Error(EINVAL, "linux.resources.memory.swap: below memory.limit");
      swap = std::to_string(*m.swap - *limit);
    }
    BERTH_TRY(w.write("memory.swap.max", swap));
  }
  if (m.disable_oom_killer && *m.disable_oom_killer) {
    return Error(EINVAL, "linux.resources.memory.disableOOMKiller: not available on cgroup v2");
  }
  return ok();
}

Status apply_cpu(const V2Writer& w, const oci::Resources::Cpu& c) {
  if (c.shares) BERTH_TRY(w.write("cpu.weight", std::to_string(shares_to_weight(*c.shares))));
  if (c.quota || c.period) {
    // cpu.max holds both: one given alone (an update) keeps the other as it is.
    auto now = w.current("cpu.max");
    std::string quota = now.size() == 2 ? now[0] : "max";
    std::string period = now.size() == 2 ? now[1] : "100000";
    if (c.quota) quota = *c.quota > 0 ? std::to_string(*c.quota) : "max";
    if (c.period) period = std::to_string(*c.period);
    BERTH_TRY(w.write("cpu.max", quota + " " + period));
  }
  if (c.burst) BERTH_TRY(w.write("cpu.max.burst", std::to_string(*c.burst)));
  if (c.idle) BERTH_TRY(w.write("cpu.idle", std::to_string(*c.idle)));
  if (!c.cpus.empty()) BERTH_TRY(w.write("cpuset.cpus", c.cpus));
  if (!c.mems.empty()) BERTH_TRY(w.write("cpuset.mems", c.mems));
  return ok();
}

Status apply_io(const V2Writer& w, const oci::Resources::BlockIo& b) {
  if (b.weight) BERTH_TRY(w.write("io.weight", "default " + std::to_string(blkio_weight_to_io_weight(*b.weight))));
  for (const auto& d : b.weight_device) {
    if (!d.weight) continue;
    BERTH_TRY(w.write("io.weight", std::to_string(d.major) + ":" + std::to_string(d.minor) + " " +
                                       std::to_string(blkio_weight_to_io_weight(*d.weight))));
  }
  const std::pair<const std::vector<oci::ThrottleDevice>*, const char*> throttles[] = {
      {&b.throttle_read_bps, "rbps"},
      {&b.throttle_write_bps, "wbps"},
      {&b.throttle_read_iops, "riops"},
      {&b.throttle_write_iops, "wiops"}};
  for (const auto& [list, key] : throttles) {
    for (const auto& t : *list) {
      BERTH_TRY(w.write("io.max", std::to_string(t.major) + ":" + std::to_string(t.minor) + " " + key + "=" +
                                      std::to_string(t.rate)));
    }
  }
  return ok();
}

}  // namespace

Status apply_resources_v2(const CgroupSet& set, const oci::Resources& r, const std::vector<DeviceRule>& devices) {
  V2Writer w(set);
  if (r.memory) BERTH_TRY(apply_memory(w, *r.memory));
  if (r.cpu) BERTH_TRY(apply_cpu(w, *r.cpu));
  if (r.pids) BERTH_TRY(w.write("pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max"));
  if (r.block_io) BERTH_TRY(apply_io(w, *r.block_io));
  for (const auto& h : r.hugepage_limits) {
    BERTH_TRY(w.write("hugetlb." + h.page_size + ".max", std::to_string(h.limit)));
  }
  if (r.network) return Error(EINVAL, "linux.resources.network: net_cls/net_prio do not exist on cgroup v2");
  for (const auto& [key, value] : r.unified) {
    if (key.find('/') != std::string::npos || key.find("..") != std::string::npos) {
      return Error(EINVAL, "linux.resources.unified: bad key \"" + key + "\"");
    }
    BERTH_TRY(w.write(key, value));
  }
  if (!devices.empty()) BERTH_TRY(apply_devices(set.dirs().front().path, devices).context("linux.resources.devices"));
  return ok();
}

}  // namespace berth::cgroups
