// The CDI registry: specs found in the spec directories, and resolve() turning device names
// into LaunchAdditions.
#include "isolators/gpu/cdi.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <set>
#include <utility>

#include "common/file.h"
#include "common/log.h"
#include "common/strings.h"

namespace berth::gpu {
namespace {

bool is_spec_file(std::string_view name) {
  return name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml");
}

std::optional<char> device_type_of(mode_t mode) {
  if (S_ISCHR(mode)) return 'c';
  if (S_ISBLK(mode)) return 'b';
  if (S_ISFIFO(mode)) return 'p';
  return std::nullopt;
}

// A CDI device node as linux.devices wants it: what the spec leaves out comes from the host's
// node. "u" (unbuffered) is a character device to the kernel and the device cgroup.
Result<oci::Device> to_oci_device(const CdiDeviceNode& n, const std::string& root) {
  const std::string host = path_join(root, n.host_path.empty() ? n.path : n.host_path);
  struct stat st {};
  const bool have_host = ::stat(host.c_str(), &st) == 0;
  const int stat_errno = errno;
  const bool need_host = !n.type || (*n.type != 'p' && (!n.major || !n.minor));
  if (need_host && !have_host) return Error::from_errno("stat " + host, stat_errno);
  oci::Device d;
  d.path = n.path;
  if (n.type) {
    d.type = *n.type == 'u' ? 'c' : *n.type;
  } else {
    auto type = device_type_of(st.st_mode);
    if (!type) return Error(ENODEV, host + ": not a device node");
    d.type = *type;
  }
  if (d.type != 'p') {
    d.major = n.major ? *n.major : static_cast<int64_t>(major(st.st_rdev));
    d.minor = n.minor ? *n.minor : static_cast<int64_t>(minor(st.st_rdev));
  }
  if (n.file_mode) {
    d.file_mode = *n.file_mode & 07777;
  } else if (have_host) {
    d.file_mode = st.st_mode & 07777;
  }
  d.uid = n.uid;
  d.gid = n.gid;
  return d;
}

Status apply_edits(const CdiEdits& edits, const std::string& root, isolators::LaunchAdditions& out) {
  out.env.insert(out.env.end(), edits.env.begin(), edits.env.end());
  for (const auto& n : edits.device_nodes) {
    BERTH_ASSIGN(oci::Device d, to_oci_device(n, root).context("device node " + n.path));
    out.devices.push_back(std::move(d));
  }
  for (const auto& m : edits.mounts) {
    out.mounts.push_back(oci::Mount{m.container_path, m.type, m.host_path, m.options, {}, {}});
  }
  return ok();
}

}  // namespace

CdiRegistry CdiRegistry::load(const std::string& root, const std::vector<std::string>& dirs) {
  CdiRegistry registry;
  for (size_t priority = 0; priority < dirs.size(); ++priority) {
    const std::string dir = path_join(root, dirs[priority]);
    auto names = list_dir(dir);
    if (!names) {
      if (names.error().code() != ENOENT) registry.problems_.push_back(names.error().message());
      continue;
    }
    std::sort(names->begin(), names->end());
    for (const auto& name : *names) {
      if (!is_spec_file(name)) continue;
      const std::string file = path_join(dir, name);
      auto spec = read_file(file).context("CDI spec");
      if (!spec) {
        registry.problems_.push_back(spec.error().message());
        continue;
      }
      auto parsed = parse_cdi_spec(*spec, file);
      if (!parsed) {
        registry.problems_.push_back(parsed.error().message());
        continue;
      }
      registry.add(std::move(parsed).value(), priority);
    }
  }
  return registry;
}

void CdiRegistry::add(CdiSpec spec, size_t priority) {
  const size_t index = specs_.size();
  for (size_t d = 0; d < spec.devices.size(); ++d) {
    const std::string qualified = spec.kind + "=" + spec.devices[d].name;
    auto [it, inserted] = devices_.try_emplace(qualified, Entry{index, d, priority, {}});
    if (inserted || it->second.priority < priority) {
      it->second = Entry{index, d, priority, {}};
    } else if (it->second.priority == priority) {
      it->second.conflict = "defined in both " + specs_[it->second.spec].file + " and " + spec.file;
      problems_.push_back("CDI device \"" + qualified + "\": " + it->second.conflict);
    }
  }
  specs_.push_back(std::move(spec));
}

std::vector<std::string> CdiRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : devices_) {
    if (entry.conflict.empty()) out.push_back(name);
  }
  return out;
}

Error CdiRegistry::unknown(const std::string& qualified) const {
  auto known = names();
  std::string message =
      "unknown CDI device \"" + qualified + "\"; known: " + (known.empty() ? "none" : join(known, ", "));
  if (!problems_.empty()) message += "; specs that could not be used: " + join(problems_, "; ");
  return Error(ENOENT, message);
}

Result<isolators::LaunchAdditions> CdiRegistry::resolve(const std::vector<std::string>& names,
                                                        const std::string& root) const {
  isolators::LaunchAdditions out;
  std::set<std::string> done;
  std::set<size_t> specs_applied;
  for (const auto& qualified : names) {
    BERTH_TRY(parse_cdi_name(qualified));
    if (!done.insert(qualified).second) continue;
    auto it = devices_.find(qualified);
    if (it == devices_.end()) return unknown(qualified);
    if (!it->second.conflict.empty()) {
      return Error(EINVAL, "CDI device \"" + qualified + "\" is " + it->second.conflict);
    }
    const CdiSpec& spec = specs_[it->second.spec];
    const CdiDevice& device = spec.devices[it->second.device];
    const std::string where = "CDI device \"" + qualified + "\" (" + spec.file + ")";
    if (specs_applied.insert(it->second.spec).second) {
      BERTH_TRY(apply_edits(spec.edits, root, out).context(where + ": containerEdits"));
      if (spec.edits.hooks > 0) log::warn(where + ": the spec's hooks are ignored (berth runs no CDI hooks)");
    }
    BERTH_TRY(apply_edits(device.edits, root, out).context(where));
    if (device.edits.hooks > 0) log::warn(where + ": its hooks are ignored (berth runs no CDI hooks)");
  }
  return out;
}

}  // namespace berth::gpu
