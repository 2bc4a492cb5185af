#include "isolators/cgroups/hierarchy.h"

#include <algorithm>

#include "common/file.h"
#include "common/strings.h"

namespace berth::cgroups {
namespace {

// Fields of a mountinfo line: ... mount_point(4) ... "-" fstype source super_options
struct MountinfoLine {
  std::string root;  // the subtree of the file system mounted here ("/" for a whole hierarchy)
  std::string mount_point;
  std::string fstype;
  std::string super_options;
};

bool parse_line(const std::string& line, MountinfoLine& out) {
  auto fields = split(line, ' ');
  if (fields.size() < 7) return false;
  size_t dash = 6;
  while (dash < fields.size() && fields[dash] != "-") ++dash;
  if (dash + 1 >= fields.size()) return false;
  out.root = fields[3];
  out.mount_point = fields[4];
  out.fstype = fields[dash + 1];
  out.super_options = dash + 3 < fields.size() ? fields[dash + 3] : "";
  return true;
}

std::vector<std::string> v1_controllers(const std::string& super_options) {
  std::vector<std::string> out;
  for (auto& opt : split(super_options, ',')) {
    if (opt == "rw" || opt == "ro" || opt == "xattr" || opt == "clone_children" || opt == "noprefix" ||
        starts_with(opt, "release_agent=")) {
      continue;
    }
    out.push_back(opt);
  }
  return out;
}

}  // namespace

const Hierarchy* HostCgroups::unified() const {
  for (const auto& h : hierarchies) {
    if (h.v2) return &h;
  }
  return nullptr;
}

Result<HostCgroups> parse_mountinfo(const std::string& mountinfo) {
  HostCgroups out;
  Hierarchy v2;
  bool have_v2 = false;
  for (auto& line : split(mountinfo, '\n')) {
    MountinfoLine m;
    if (line.empty() || !parse_line(line, m)) continue;
    // Bind mounts of a subtree (a container's view, say) are not where the hierarchy lives.
    if (m.root != "/") continue;
    if (m.fstype == "cgroup2") {
      if (!have_v2) v2 = Hierarchy{m.mount_point, {}, true};
      have_v2 = true;
    } else if (m.fstype == "cgroup") {
      auto controllers = v1_controllers(m.super_options);
      bool seen = std::any_of(out.hierarchies.begin(), out.hierarchies.end(),
                              [&](const Hierarchy& h) { return h.controllers == controllers; });
      if (!seen) out.hierarchies.push_back(Hierarchy{m.mount_point, std::move(controllers), false});
    }
  }
  bool have_v1 = !out.hierarchies.empty();
  if (!have_v1 && !have_v2) return Error(ENOENT, "no cgroup file system is mounted");
  if (have_v2) out.hierarchies.push_back(v2);
  out.mode = have_v1 ? (have_v2 ? HostMode::kHybrid : HostMode::kV1) : HostMode::kV2;
  return out;
}

Result<HostCgroups> discover() {
  BERTH_ASSIGN(auto text, read_file("/proc/self/mountinfo"));
  return parse_mountinfo(text);
}

}  // namespace berth::cgroups
