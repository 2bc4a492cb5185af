#include "networking/netns/netns_store.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/file.h"

namespace berth::networking {
namespace {

constexpr size_t kMaxNameLength = 64;

bool allowed_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Unmounts the pin at `path` if mounted; a plain file or a missing one is fine.
Status unmount_pin(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return ok();
  if (errno == EINVAL || errno == ENOENT) return ok();
  return Error::from_errno("umount " + path);
}

}  // namespace

Status check_netns_name(std::string_view name) {
  const std::string quoted = "netns name \"" + std::string(name) + "\"";
  if (name.empty()) return Error(EINVAL, "empty netns name");
  if (name.size() > kMaxNameLength) {
    return Error(EINVAL, quoted + ": longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  if (name.front() == '.') return Error(EINVAL, quoted + ": starts with '.'");
  if (!std::all_of(name.begin(), name.end(), allowed_char)) {
    return Error(EINVAL, quoted + ": only letters, digits, '.', '_' and '-' are allowed");
  }
  return ok();
}

NetnsStore::NetnsStore(const std::string& state_dir) : dir_(path_join(state_dir, "netns")) {}

std::string NetnsStore::path(std::string_view name) const { return path_join(dir_, name); }

Result<Netns> NetnsStore::create(std::string_view name) {
  const std::string what = "create netns " + std::string(name);
  if (auto valid = check_netns_name(name); !valid) return std::move(valid).error().context(what);
  if (auto made = mkdir_p(dir_, 0755); !made) return std::move(made).error().context(what);
  const std::string pin = path(name);
  // O_EXCL: two creators of one name cannot both succeed; the loser leaves the pin alone.
  auto file = open_path(pin, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (!file) return Error::from_errno(what, file.error().code());
  file->reset();

  Status pinned;
  Status ran = run_in_new_netns([&] {
    // The thread's own namespace, bind-mounted: it stays after the thread ends.
    if (::mount("/proc/thread-self/ns/net", pin.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      pinned = Error::from_errno("bind mount the namespace on " + pin);
    }
  });
  if (!ran) pinned = std::move(ran);
  if (pinned) {
    auto netns = Netns::open(pin, std::string(name));
    if (netns) return netns;
    pinned = std::move(netns).error();
  }
  (void)unmount_pin(pin);
  ::unlink(pin.c_str());
  return std::move(pinned).error().context(what);
}

Result<Netns> NetnsStore::open(std::string_view name) const {
  if (auto valid = check_netns_name(name); !valid) return std::move(valid).error().context("open netns");
  return Netns::open(path(name), std::string(name));
}

Status NetnsStore::remove(std::string_view name) {
  const std::string what = "remove netns " + std::string(name);
  if (auto valid = check_netns_name(name); !valid) return std::move(valid).error().context(what);
  const std::string pin = path(name);
  if (auto unmounted = unmount_pin(pin); !unmounted) return std::move(unmounted).error().context(what);
  if (::unlink(pin.c_str()) != 0 && errno != ENOENT) return Error::from_errno(what + ": unlink " + pin);
  return ok();
}

Result<std::vector<std::string>> NetnsStore::list() const {
  if (!path_exists(dir_)) return std::vector<std::string>{};
  auto names = list_dir(dir_);
  if (!names) return std::move(names).error().context("list netns pins");
  std::sort(names->begin(), names->end());
  return names;
}

}  // namespace berth::networking
