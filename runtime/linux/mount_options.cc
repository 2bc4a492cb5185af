#include "runtime/linux/mount_options.h"

#include <linux/mount.h>
#include <sys/mount.h>

#include <string_view>

namespace berth::rt {
namespace {

struct FlagOption {
  std::string_view name;
  bool clear;
  unsigned long flag;
};

// Options that set or clear a mount(2) flag.
constexpr FlagOption kFlagOptions[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"symfollow", true, MS_NOSYMFOLLOW},
    {"sync", false, MS_SYNCHRONOUS},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct RecursiveOption {
  std::string_view name;
  bool clear;
  uint64_t attr;
};

// mount_setattr(2) attributes applied to a whole bind tree ("rro" and friends).
constexpr RecursiveOption kRecursiveOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

bool apply_flag_option(std::string_view opt, MountFlags& out) {
  for (const auto& f : kFlagOptions) {
    if (f.name != opt) continue;
    if (f.clear) {
      out.flags &= ~f.flag;
    } else {
      out.flags |= f.flag;
    }
    return true;
  }
  return false;
}

bool apply_propagation_option(std::string_view opt, MountFlags& out) {
  for (const auto& p : kPropagationOptions) {
    if (p.name != opt) continue;
    out.propagation = p.flags;
    return true;
  }
  return false;
}

bool apply_recursive_option(std::string_view opt, MountFlags& out) {
  for (const auto& r : kRecursiveOptions) {
    if (r.name != opt) continue;
    if (r.clear) {
      out.recursive_clear |= r.attr;
      out.recursive_set &= ~r.attr;
    } else {
      out.recursive_set |= r.attr;
      out.recursive_clear &= ~r.attr;
    }
    return true;
  }
  return false;
}

}  // namespace

bool MountFlags::is_bind() const { return (flags & MS_BIND) != 0; }

Result<MountFlags> parse_mount_options(const std::vector<std::string>& options) {
  MountFlags out;
  for (const auto& opt : options) {
    if (opt.empty()) continue;
    if (apply_flag_option(opt, out) || apply_propagation_option(opt, out) || apply_recursive_option(opt, out)) {
      continue;
    }
    if (opt == "tmpcopyup") {
      out.tmpcopyup = true;
    } else if (opt == "idmap" || opt == "ridmap") {
      out.idmap = true;
    } else {
      if (!out.data.empty()) out.data += ',';
      out.data += opt;
    }
  }
  return out;
}

Result<unsigned long> parse_propagation(const std::string& value) {
  for (const auto& p : kPropagationOptions) {
    if (p.name == value) return p.flags;
  }
  return Error(EINVAL, "linux.rootfsPropagation: unknown propagation \"" + value + "\"");
}

}  // namespace berth::rt
