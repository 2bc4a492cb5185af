// update [--resources FILE] [limit flags] ID: new cgroup limits for a live container
// (runtime/container/update.h), with runc's flags. A flag overrides the same field of
// --resources; a bad value is refused before anything is written.
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/oci/args.h"
#include "cli/oci/commands_cgroup.h"
#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"
#include "runtime/container/update.h"
#include "runtime/oci/spec.h"

namespace berth::cli {
namespace {

const std::vector<FlagSpec> kUpdateFlags = {
    {"resources", "r", true},
    {"memory", "", true},
    {"memory-swap", "", true},
    {"memory-reservation", "", true},
    {"kernel-memory", "", true},
    {"kernel-memory-tcp", "", true},
    {"cpu-share", "cpu-shares", true},
    {"cpu-quota", "", true},
    {"cpu-period", "", true},
    {"cpu-burst", "", true},
    {"cpu-rt-runtime", "", true},
    {"cpu-rt-period", "", true},
    {"cpu-idle", "", true},
    {"cpuset-cpus", "", true},
    {"cpuset-mems", "", true},
    {"pids-limit", "", true},
    {"blkio-weight", "", true},
    {"l3-cache-schema", "", true},
    {"mem-bw-schema", "", true},
};

Error bad_value(const std::string& flag, const std::string& value, const char* problem) {
  return Error(EINVAL, "--" + flag + " \"" + value + "\": " + problem);
}

// A size flag: runc's forms ("512m", "1g", bytes) or -1 for no limit.
Status size_flag(const ParsedArgs& a, const std::string& flag, std::optional<int64_t>& out) {
  if (!a.has(flag)) return ok();
  std::string v = a.get(flag);
  auto size = v == "-1" ? std::optional<int64_t>(-1) : parse_byte_size(v);
  if (!size) return bad_value(flag, v, "not a size");
  out = size;
  return ok();
}

Status unsigned_flag(const ParsedArgs& a, const std::string& flag, std::optional<uint64_t>& out) {
  if (!a.has(flag)) return ok();
  auto n = parse_uint(a.get(flag));
  if (!n) return bad_value(flag, a.get(flag), "not a number");
  out = n;
  return ok();
}

Status signed_flag(const ParsedArgs& a, const std::string& flag, std::optional<int64_t>& out) {
  if (!a.has(flag)) return ok();
  auto n = parse_int(a.get(flag));
  if (!n) return bad_value(flag, a.get(flag), "not a number");
  out = n;
  return ok();
}

Result<oci::Resources> resources_file(const std::string& path) {
  auto text = path == "-" ? read_fd(STDIN_FILENO) : read_file(path);
  std::string what = "--resources " + (path == "-" ? std::string("(standard input)") : path);
  if (!text) return std::move(text).error().context(what);
  return oci::parse_resources_json(*text).context(what);
}

Status memory_flags(const ParsedArgs& a, oci::Resources& r) {
  oci::Resources::Memory m = r.memory.value_or(oci::Resources::Memory{});
  BERTH_TRY(size_flag(a, "memory", m.limit));
  BERTH_TRY(size_flag(a, "memory-swap", m.swap));
  BERTH_TRY(size_flag(a, "memory-reservation", m.reservation));
  for (const char* obsolete : {"kernel-memory", "kernel-memory-tcp"}) {
    // Linux 5.16 dropped kernel memory limits; runc accepts the flags and ignores them.
    if (a.has(obsolete))
      log::warn(std::string("update: --") + obsolete + " is ignored (kernel memory limits are gone)");
  }
  // No memory limit and no word on swap: no swap limit either (runc does the same).
  if (m.limit == -1 && !m.swap) m.swap = -1;
  if (m.limit || m.swap || m.reservation || r.memory) r.memory = m;
  return ok();
}

Status cpu_flags(const ParsedArgs& a, oci::Resources& r) {
  oci::Resources::Cpu c = r.cpu.value_or(oci::Resources::Cpu{});
  BERTH_TRY(unsigned_flag(a, "cpu-share", c.shares));
  BERTH_TRY(signed_flag(a, "cpu-quota", c.quota));
  BERTH_TRY(unsigned_flag(a, "cpu-period", c.period));
  BERTH_TRY(unsigned_flag(a, "cpu-burst", c.burst));
  BERTH_TRY(signed_flag(a, "cpu-rt-runtime", c.realtime_runtime));
  BERTH_TRY(unsigned_flag(a, "cpu-rt-period", c.realtime_period));
  BERTH_TRY(signed_flag(a, "cpu-idle", c.idle));
  if (!a.get("cpuset-cpus").empty()) c.cpus = a.get("cpuset-cpus");
  if (!a.get("cpuset-mems").empty()) c.mems = a.get("cpuset-mems");
  bool any = c.shares || c.quota || c.period || c.burst || c.realtime_runtime || c.realtime_period || c.idle ||
             !c.cpus.empty() || !c.mems.empty();
  if (any || r.cpu) r.cpu = c;
  return ok();
}

Status other_flags(const ParsedArgs& a, oci::Resources& r) {
  std::optional<int64_t> pids;
  BERTH_TRY(signed_flag(a, "pids-limit", pids));
  if (pids) {
    oci::Resources::Pids p;
    p.limit = *pids;
    r.pids = p;
  }
  // runc: a pids limit of 0 leaves the limit as it is; -1 removes it.
  if (r.pids && r.pids->limit == 0) r.pids.reset();
  std::optional<uint64_t> weight;
  BERTH_TRY(unsigned_flag(a, "blkio-weight", weight));
  if (weight && *weight > UINT16_MAX) return bad_value("blkio-weight", a.get("blkio-weight"), "not a weight");
  if (weight && *weight != 0) {
    if (!r.block_io) r.block_io.emplace();
    r.block_io->weight = static_cast<uint16_t>(*weight);
  }
  for (const char* rdt : {"l3-cache-schema", "mem-bw-schema"}) {
    if (a.has(rdt)) return Error(EOPNOTSUPP, std::string("--") + rdt + ": Intel RDT is not supported by berth-oci");
  }
  return ok();
}

}  // namespace

Result<UpdateRequest> parse_update(const std::vector<std::string>& argv, size_t at) {
  BERTH_ASSIGN(auto a, parse_args(argv, at, kUpdateFlags, false));
  UpdateRequest req;
  BERTH_ASSIGN(req.id, one_id(a, "update"));
  if (a.has("resources")) {
    BERTH_ASSIGN(req.resources, resources_file(a.get("resources")));
  }
  BERTH_TRY(memory_flags(a, req.resources));
  BERTH_TRY(cpu_flags(a, req.resources));
  BERTH_TRY(other_flags(a, req.resources));
  return req;
}

Result<int> cmd_update(const Globals& g, const std::vector<std::string>& argv, size_t at) {
  BERTH_ASSIGN(auto req, parse_update(argv, at));
  BERTH_TRY(container::update(g.root, req.id, req.resources));
  return 0;
}

}  // namespace berth::cli
