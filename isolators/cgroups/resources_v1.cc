// linux.resources on cgroup v1: one file per knob, in the hierarchy of its controller.
#include "common/file.h"
#include "isolators/cgroups/resources.h"
#include "isolators/cgroups/resources_internal.h"

namespace berth::cgroups {
namespace {

class V1Writer {
 public:
  explicit V1Writer(const CgroupSet& set) : set_(set) {}

  // The container's directory in the hierarchy that has `controller`, or "".
  [[nodiscard]] std::string dir(const std::string& controller) const {
    const CgroupDir* d = set_.v1_dir(controller);
    return d == nullptr ? std::string() : d->path;
  }

  Status write(const std::string& controller, const std::string& file, const std::string& value) const {
    std::string d = dir(controller);
    if (d.empty()) return Error(ENOENT, "linux.resources: this host has no " + controller + " cgroup controller");
    return write_existing(path_join(d, file), value);
  }

  // The first of `files` the kernel offers (blkio.weight with CFQ, blkio.bfq.weight with BFQ).
  Status write_one_of(const std::string& controller, std::initializer_list<const char*> files,
                      const std::string& value) const {
    std::string d = dir(controller);
    for (const char* f : files) {
      if (!d.empty() && path_exists(path_join(d, f))) return write_existing(path_join(d, f), value);
    }
    return Error(ENOENT, std::string("linux.resources: this kernel's ") + controller + " controller has no " +
                             *files.begin() + " (the io scheduler decides: CFQ or BFQ offer weights)");
  }

  // For knobs older or newer kernels lack (kmem, burst, idle): absent is fine.
  Status write_if_present(const std::string& controller, const std::string& file, const std::string& value) const {
    std::string d = dir(controller);
    if (d.empty() || !path_exists(path_join(d, file))) return ok();
    auto st = write_existing(path_join(d, file), value);
    if (!st && (st.error().code() == EOPNOTSUPP || st.error().code() == ENOTSUP)) return ok();
    return st;
  }

 private:
  const CgroupSet& set_;
};

std::string limit_text(int64_t v) { return v < 0 ? "-1" : std::to_string(v); }

Status apply_memory(const V1Writer& w, const oci::Resources::Memory& m) {
  if (m.limit) {
    auto st = w.write("memory", "memory.limit_in_bytes", limit_text(*m.limit));
    // Raising the limit above memory+swap needs memory+swap raised first.
    if (!st && st.error().code() == EINVAL && m.swap) {
      BERTH_TRY(w.write("memory", "memory.memsw.limit_in_bytes", limit_text(*m.swap)));
      st = w.write("memory", "memory.limit_in_bytes", limit_text(*m.limit));
    }
    BERTH_TRY(std::move(st));
  }
  if (m.swap) BERTH_TRY(w.write("memory", "memory.memsw.limit_in_bytes", limit_text(*m.swap)));
  if (m.reservation) BERTH_TRY(w.write("memory", "memory.soft_limit_in_bytes", limit_text(*m.reservation)));
  if (m.kernel) BERTH_TRY(w.write_if_present("memory", "memory.kmem.limit_in_bytes", limit_text(*m.kernel)));
  if (m.kernel_tcp)
    BERTH_TRY(w.write_if_present("memory", "memory.kmem.tcp.limit_in_bytes", limit_text(*m.kernel_tcp)));
  if (m.swappiness && *m.swappiness <= 100)
    BERTH_TRY(w.write("memory", "memory.swappiness", std::to_string(*m.swappiness)));
  if (m.swappiness && *m.swappiness > 100) {
    return Error(EINVAL, "linux.resources.memory.swappiness: " + std::to_string(*m.swappiness) + " is above 100");
  }
  if (m.disable_oom_killer && *m.disable_oom_killer) BERTH_TRY(w.write("memory", "memory.oom_control", "1"));
  if (m.use_hierarchy) BERTH_TRY(w.write_if_present("memory", "memory.use_hierarchy", *m.use_hierarchy ? "1" : "0"));
  return ok();
}

Status apply_cpu(const V1Writer& w, const oci::Resources::Cpu& c) {
  if (c.shares) BERTH_TRY(w.write("cpu", "cpu.shares", std::to_string(*c.shares)));
  if (c.period) BERTH_TRY(w.write("cpu", "cpu.cfs_period_us", std::to_string(*c.period)));
  if (c.quota) BERTH_TRY(w.write("cpu", "cpu.cfs_quota_us", std::to_string(*c.quota)));
  if (c.burst) BERTH_TRY(w.write_if_present("cpu", "cpu.cfs_burst_us", std::to_string(*c.burst)));
  if (c.realtime_period) BERTH_TRY(w.write("cpu", "cpu.rt_period_us", std::to_string(*c.realtime_period)));
  if (c.realtime_runtime) BERTH_TRY(w.write("cpu", "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime)));
  if (c.idle) BERTH_TRY(w.write_if_present("cpu", "cpu.idle", std::to_string(*c.idle)));
  if (!c.cpus.empty()) BERTH_TRY(w.write("cpuset", "cpuset.cpus", c.cpus));
  if (!c.mems.empty()) BERTH_TRY(w.write("cpuset", "cpuset.mems", c.mems));
  return ok();
}

Status apply_blkio(const V1Writer& w, const oci::Resources::BlockIo& b) {
  if (b.weight) BERTH_TRY(w.write_one_of("blkio", {"blkio.weight", "blkio.bfq.weight"}, std::to_string(*b.weight)));
  if (b.leaf_weight) BERTH_TRY(w.write("blkio", "blkio.leaf_weight", std::to_string(*b.leaf_weight)));
  for (const auto& d : b.weight_device) {
    std::string dev = std::to_string(d.major) + ":" + std::to_string(d.minor) + " ";
    if (d.weight) {
      BERTH_TRY(
          w.write_one_of("blkio", {"blkio.weight_device", "blkio.bfq.weight_device"}, dev + std::to_string(*d.weight)));
    }
    if (d.leaf_weight) BERTH_TRY(w.write("blkio", "blkio.leaf_weight_device", dev + std::to_string(*d.leaf_weight)));
  }
  const std::pair<const std::vector<oci::ThrottleDevice>*, const char*> throttles[] = {
      {&b.throttle_read_bps, "blkio.throttle.read_bps_device"},
      {&b.throttle_write_bps, "blkio.throttle.write_bps_device"},
      {&b.throttle_read_iops, "blkio.throttle.read_iops_device"},
      {&b.throttle_write_iops, "blkio.throttle.write_iops_device"},
  };
  for (const auto& [list, file] : throttles) {
    for (const auto& t : *list) {
      BERTH_TRY(w.write("blkio", file,
                        std::to_string(t.major) + ":" + std::to_string(t.minor) + " " + std::to_string(t.rate)));
    }
  }
  return ok();
}

Status apply_devices(const V1Writer& w, const std::vector<DeviceRule>& rules) {
  for (const auto& r : rules) {
    BERTH_TRY(w.write("devices", r.allow ? "devices.allow" : "devices.deny", r.v1_line()));
  }
  return ok();
}

}  // namespace

Status apply_resources_v1(const CgroupSet& set, const oci::Resources& r, const std::vector<DeviceRule>& devices) {
  V1Writer w(set);
  BERTH_TRY(apply_devices(w, devices));
  if (r.memory) BERTH_TRY(apply_memory(w, *r.memory));
  if (r.cpu) BERTH_TRY(apply_cpu(w, *r.cpu));
  if (r.pids) BERTH_TRY(w.write("pids", "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max"));
  if (r.block_io) BERTH_TRY(apply_blkio(w, *r.block_io));
  for (const auto& h : r.hugepage_limits) {
    BERTH_TRY(w.write("hugetlb", "hugetlb." + h.page_size + ".limit_in_bytes", std::to_string(h.limit)));
  }
  if (r.network) {
    if (r.network->class_id) BERTH_TRY(w.write("net_cls", "net_cls.classid", std::to_string(*r.network->class_id)));
    for (const auto& [iface, prio] : r.network->priorities) {
      BERTH_TRY(w.write("net_prio", "net_prio.ifpriomap", iface + " " + std::to_string(prio)));
    }
  }
  if (!r.unified.empty()) return Error(EINVAL, "linux.resources.unified: needs a cgroup v2 host");
  return ok();
}

}  // namespace berth::cgroups
