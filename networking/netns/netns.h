// Handles on network namespaces and work done inside one. A Netns owns an open namespace fd
// (the namespace lives at least as long as it does). Code that must run in another namespace
// runs on a short-lived thread of its own that setns()es: the calling thread never changes
// namespace, so callers need not care which thread they are on.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/fd.h"
#include "common/result.h"

namespace berth::networking {

// What namespace an fd or a path refers to: two handles on the same namespace are equal.
struct NamespaceId {
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const NamespaceId&, const NamespaceId&) = default;
};

class Netns {
 public:
  // A network namespace file: a pin (<state>/netns/<name>) or /proc/<pid>/ns/net. `name` is
  // what error messages call it ("netns <name>"); empty means the path's last component.
  static Result<Netns> open(const std::string& path, std::string name = {});
  // The network namespace of `pid` ("netns of pid <pid>").
  static Result<Netns> of_pid(pid_t pid);
  // The calling thread's own namespace ("netns of this thread").
  static Result<Netns> current();

  [[nodiscard]] int fd() const { return fd_.get(); }
  // For messages: "berth-t1", "of pid 42".
  [[nodiscard]] const std::string& name() const { return name_; }
  // " in netns berth-t1": appended to what an operation did.
  [[nodiscard]] std::string where() const { return " in netns " + name_; }
  [[nodiscard]] Result<NamespaceId> id() const;
  // Hands the fd to the caller; the handle is empty afterwards.
  UniqueFd release() { return std::move(fd_); }

 private:
  Netns(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}
  // open() without "open netns <name>: " before its errors.
  static Result<Netns> open_file(const std::string& path, std::string name);

  UniqueFd fd_;
  std::string name_;
};

// What namespace `fd` refers to.
Result<NamespaceId> namespace_id(int fd);
// The namespace of the calling thread (/proc/thread-self/ns/net).
Result<NamespaceId> own_netns_id();

// Runs `body` on a new thread that has entered the namespace `netns_fd` (setns, needs
// CAP_SYS_ADMIN over it, unless it is the caller's own namespace) and waits for it. An error, naming `name`, only when
// the thread could not start or enter; what `body` does it reports itself. An exception escaping `body` is returned as
// an error too.
Status run_in_netns(int netns_fd, std::string_view name, const std::function<void()>& body);
inline Status run_in_netns(const Netns& netns, const std::function<void()>& body) {
  return run_in_netns(netns.fd(), netns.name(), body);
}
// Runs `body` on a new thread in a new, empty network namespace (unshare(CLONE_NEWNET)); the
// namespace goes away with the thread unless `body` keeps it (a bind mount, an open fd).
Status run_in_new_netns(const std::function<void()>& body);

// Runs `f` (returning Result<T> or Status) inside `netns` and returns what it returned.
template <typename F>
auto in_netns(const Netns& netns, F&& f) -> decltype(f()) {
  std::optional<decltype(f())> out;
  Status entered = run_in_netns(netns, [&] { out.emplace(f()); });
  if (!entered) return std::move(entered).error();
  return std::move(*out);
}

}  // namespace berth::networking
