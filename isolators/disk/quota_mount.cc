#include "isolators/disk/quota_mount.h"

#include <sys/sysmacros.h>

#include "common/strings.h"

namespace berth::isolators::disk {
namespace {

// mountinfo writes space, tab, newline and backslash in paths as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
        s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<dev_t> parse_dev(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto major_num = parse_uint(s.substr(0, colon));
  auto minor_num = parse_uint(s.substr(colon + 1));
  if (!major_num || !minor_num) return std::nullopt;
  return ::makedev(*major_num, *minor_num);
}

// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
std::optional<MountEntry> parse_line(std::string_view line) {
  std::vector<std::string> f = split(line, ' ');
  size_t dash = 6;  // optional fields (zero or more) sit between field 6 and the "-"
  while (dash < f.size() && f[dash] != "-") ++dash;
  if (dash + 2 >= f.size()) return std::nullopt;  // no "-", or no type and source after it
  auto dev = parse_dev(f[2]);
  if (!dev) return std::nullopt;
  MountEntry m;
  m.dev = *dev;
  m.mount_point = unescape(f[4]);
  m.fs_type = f[dash + 1];
  m.source = unescape(f[dash + 2]);
  if (dash + 3 < f.size()) m.super_options = f[dash + 3];
  return m;
}

// "/a" holds "/a" and "/a/b", not "/ab"; "/" holds everything.
bool holds(std::string_view mount_point, std::string_view path) {
  if (mount_point == "/") return starts_with(path, "/");
  if (!starts_with(path, mount_point)) return false;
  return path.size() == mount_point.size() || path[mount_point.size()] == '/';
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  for (const auto& line : split(text, '\n')) {
    if (auto m = parse_line(line)) out.push_back(std::move(*m));
  }
  return out;
}

std::optional<MountEntry> mount_holding(const std::vector<MountEntry>& mounts, std::string_view path) {
  const MountEntry* best = nullptr;
  for (const auto& m : mounts) {
    if (!holds(m.mount_point, path)) continue;
    if (best == nullptr || m.mount_point.size() >= best->mount_point.size()) best = &m;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

bool enforces_xfs_project_quota(const MountEntry& mount) {
  if (mount.fs_type != "xfs") return false;
  for (const auto& option : split(mount.super_options, ',')) {
    if (option == "prjquota" || option == "pquota") return true;
  }
  return false;
}

std::optional<MountEntry> xfs_project_quota_mount(std::string_view mountinfo, std::string_view path) {
  auto m = mount_holding(parse_mountinfo(mountinfo), path);
  if (!m || !enforces_xfs_project_quota(*m)) return std::nullopt;
  return m;
}

}  // namespace berth::isolators::disk
