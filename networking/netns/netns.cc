#include "networking/netns/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <exception>
#include <string>
#include <system_error>
#include <thread>

#include "common/file.h"

namespace berth::networking {
namespace {

// Starts a thread that runs `enter` and, when it succeeded, `body`; waits for it.
Status run_on_thread(std::string_view what, const std::function<Status()>& enter, const std::function<void()>& body) {
  Status result;
  try {
    std::thread worker([&] {
      try {
        result = enter();
        if (result) body();
      } catch (const std::exception& e) {
        result = Error(EIO, std::string(what) + ": " + e.what());
      }
    });
    worker.join();
  } catch (const std::system_error& e) {
    return Error(e.code().value(), std::string(what) + ": start a thread: " + e.what());
  }
  return result;
}

}  // namespace

Result<Netns> Netns::open_file(const std::string& path, std::string name) {
  auto fd = open_path(path, O_RDONLY | O_CLOEXEC);
  if (!fd) return std::move(fd).error();
  // A plain file (a pin whose mount is gone) opens fine; setns would fail much later.
  const int type = ::ioctl(fd->get(), NS_GET_NSTYPE);
  if (type < 0 && (errno == ENOTTY || errno == EINVAL)) {
    return Error(EINVAL, path + " is not a namespace (is the pin mounted?)");
  }
  if (type < 0) return Error::from_errno("ioctl(NS_GET_NSTYPE) on " + path);
  if (type != CLONE_NEWNET) return Error(EINVAL, path + " is not a network namespace");
  return Netns(std::move(*fd), std::move(name));
}

Result<Netns> Netns::open(const std::string& path, std::string name) {
  if (name.empty()) name = basename_of(path);
  const std::string what = "open netns " + name;
  return open_file(path, std::move(name)).context(what);
}

// The path names the pid already: no "open netns of pid N" before it.
Result<Netns> Netns::of_pid(pid_t pid) {
  return open_file("/proc/" + std::to_string(pid) + "/ns/net", "of pid " + std::to_string(pid));
}

Result<Netns> Netns::current() { return open_file("/proc/thread-self/ns/net", "of this thread"); }

Result<NamespaceId> Netns::id() const {
  auto id = namespace_id(fd_.get());
  if (!id) return std::move(id).error().context("netns " + name_);
  return id;
}

Result<NamespaceId> namespace_id(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error::from_errno("fstat network namespace fd " + std::to_string(fd));
  return NamespaceId{st.st_dev, st.st_ino};
}

Result<NamespaceId> own_netns_id() {
  struct stat st {};
  if (::stat("/proc/thread-self/ns/net", &st) != 0) return Error::from_errno("stat /proc/thread-self/ns/net");
  return NamespaceId{st.st_dev, st.st_ino};
}

Status run_in_netns(int netns_fd, std::string_view name, const std::function<void()>& body) {
  const std::string what = "enter netns " + std::string(name);
  return run_on_thread(
      what,
      [&]() -> Status {
        // Already there (the caller's own namespace): no setns, which would need CAP_SYS_ADMIN.
        auto target = namespace_id(netns_fd);
        auto own = own_netns_id();
        if (target && own && *target == *own) return ok();
        // setns changes only the calling thread: this one, which ends when body returns.
        if (::setns(netns_fd, CLONE_NEWNET) != 0) return Error::from_errno(what + ": setns(CLONE_NEWNET)");
        return ok();
      },
      body);
}

Status run_in_new_netns(const std::function<void()>& body) {
  const std::string what = "create a network namespace";
  return run_on_thread(
      what,
      [&]() -> Status {
        if (::unshare(CLONE_NEWNET) != 0) return Error::from_errno(what + ": unshare(CLONE_NEWNET)");
        return ok();
      },
      body);
}

}  // namespace berth::networking
