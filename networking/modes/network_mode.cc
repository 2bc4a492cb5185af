#include "networking/modes/network_mode.h"

#include <utility>

#include "networking/netlink/links.h"
#include "networking/netlink/rtnl_socket.h"

namespace berth::networking {
namespace {

constexpr std::string_view kJoinPrefix = "container:";

Result<ModeNamespace> pin_with_loopback(NetnsStore& store, const std::string& container_id) {
  const std::string what = "network mode none for container \"" + container_id + "\"";
  auto netns = store.create(container_id);
  if (!netns) return std::move(netns).error().context(what);
  Status up = [&]() -> Status {
    BERTH_ASSIGN(RtnlSocket nl, RtnlSocket::open_in(*netns));
    return set_link_up(nl, "lo");
  }();
  if (!up) {
    (void)store.remove(container_id);  // nothing left behind
    return std::move(up).error().context(what);
  }
  return ModeNamespace{std::move(*netns), true};
}

Result<ModeNamespace> join(const NetnsStore& store, const std::string& target, const std::string& container_id) {
  const std::string what = "network mode container:" + target + " for container \"" + container_id + "\"";
  auto netns = store.open(target);
  if (!netns && netns.error().code() == ENOENT) {
    return Error(ENOENT, what + ": container \"" + target + "\" has no network namespace to join (no pin at " +
                             store.path(target) + ")");
  }
  if (!netns) return std::move(netns).error().context(what);
  return ModeNamespace{std::move(*netns), false};
}

}  // namespace

std::string NetworkMode::to_string() const {
  switch (kind) {
    case NetworkModeKind::kNone: return "none";
    case NetworkModeKind::kHost: return "host";
    case NetworkModeKind::kJoin: return std::string(kJoinPrefix) + target;
  }
  return "?";
}

Result<NetworkMode> parse_network_mode(std::string_view text) {
  if (text == "none") return NetworkMode{NetworkModeKind::kNone, {}};
  if (text == "host") return NetworkMode{NetworkModeKind::kHost, {}};
  if (text.starts_with(kJoinPrefix)) {
    std::string target(text.substr(kJoinPrefix.size()));
    if (Status named = check_netns_name(target); !named) {
      return std::move(named).error().context("network mode \"" + std::string(text) + "\"");
    }
    return NetworkMode{NetworkModeKind::kJoin, std::move(target)};
  }
  return Error(EINVAL, "network mode \"" + std::string(text) + "\": not none, host or container:<id>");
}

Result<ModeNamespace> enter_network_mode(const NetworkMode& mode, NetnsStore& store, const std::string& container_id) {
  switch (mode.kind) {
    case NetworkModeKind::kNone: return pin_with_loopback(store, container_id);
    case NetworkModeKind::kHost: {
      BERTH_ASSIGN(Netns own, Netns::current());
      return ModeNamespace{std::move(own), false};
    }
    case NetworkModeKind::kJoin:
      if (mode.target == container_id) {
        return Error(EINVAL, "network mode " + mode.to_string() + " for container \"" + container_id +
                                 "\": a container cannot join its own namespace");
      }
      return join(store, mode.target, container_id);
  }
  return Error(EINVAL, "unknown network mode");
}

Status release_network_mode(const NetworkMode& mode, NetnsStore& store, const std::string& container_id) {
  if (mode.kind != NetworkModeKind::kNone) return ok();
  return store.remove(container_id).context("network mode none for container \"" + container_id + "\"");
}

}  // namespace berth::networking
