// Named network namespaces pinned by a bind mount of the namespace file onto
// <state>/netns/<name>, as `ip netns` pins them under /run/netns: a pinned namespace outlives
// every process in it (and berthd) until remove(). Never touches a file outside its folder.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "networking/netns/netns.h"

namespace berth::networking {

class NetnsStore {
 public:
  // Pins live in `state_dir`/netns (made on first create()).
  explicit NetnsStore(const std::string& state_dir);

  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] std::string path(std::string_view name) const;

  // A new, empty namespace pinned as `name` (letters, digits, '.', '_', '-'; at most 64;
  // not starting with '.'), and a handle on it. "File exists" when `name` is pinned already;
  // nothing is left behind on failure.
  Result<Netns> create(std::string_view name);
  // A handle on the namespace pinned as `name`.
  Result<Netns> open(std::string_view name) const;
  // Unpins `name` (lazy unmount, then unlink). Idempotent: a missing pin is not an error.
  // The unlink also detaches the copies of the pin that mount namespaces made since hold
  // (Linux 3.18+), so none of them keeps the namespace alive. The namespace itself goes away
  // when its last process and fd have gone.
  Status remove(std::string_view name);
  // The names pinned here, sorted; empty when the folder does not exist.
  Result<std::vector<std::string>> list() const;

 private:
  std::string dir_;
};

// Why `name` cannot name a pinned namespace; ok when it can.
Status check_netns_name(std::string_view name);

}  // namespace berth::networking
