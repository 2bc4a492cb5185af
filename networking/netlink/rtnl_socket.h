// One rtnetlink (NETLINK_ROUTE) socket bound to one network namespace, and the request/ack
// and dump exchanges that links.h, addresses.h and routes.h build on. A socket made for
// another namespace is created there by a short-lived thread (the caller's thread never
// moves) and keeps working in that namespace after the thread has gone. Not thread-safe:
// one exchange at a time per socket.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "common/fd.h"
#include "common/result.h"
#include "networking/netns/netns.h"

namespace berth::networking {

class RtnlSocket {
 public:
  // A socket in the calling thread's namespace.
  static Result<RtnlSocket> open();
  // A socket in `netns`; operations on it name the namespace in their errors.
  static Result<RtnlSocket> open_in(const Netns& netns);

  // "" for the caller's namespace, " in netns <name>" for another: appended to what an
  // operation did in its error messages.
  [[nodiscard]] const std::string& where() const { return where_; }

  // Sends `request` (a message of size request->nlmsg_len; NLM_F_REQUEST and NLM_F_ACK are
  // added, the sequence number set) and waits for the kernel's answer. Messages answering it
  // go to `on_message` (when set). The error carries the kernel's errno, and its extended
  // ack message when it sent one: "File exists", "Invalid argument (kernel: ...)".
  Status request(nlmsghdr* request, const std::function<Status(const nlmsghdr*)>& on_message = {});
  // Sends `request` as a dump (NLM_F_DUMP) and passes every message of the answer to
  // `on_message`; stops calling it after its first error, which is returned.
  Status dump(nlmsghdr* request, const std::function<Status(const nlmsghdr*)>& on_message);

 private:
  RtnlSocket(UniqueFd fd, std::string where) : fd_(std::move(fd)), where_(std::move(where)) {}
  Status exchange(nlmsghdr* request, const std::function<Status(const nlmsghdr*)>& on_message);
  Status send(const nlmsghdr* request);

  UniqueFd fd_;
  std::string where_;
  uint32_t seq_ = 0;
};

}  // namespace berth::networking
