// The network modes that need no bridge: `none` (a namespace of the container's own with only
// lo, up), `host` (the caller's namespace, none of its own) and `container:<id>` (the pinned
// namespace of another container, shared). Decides and prepares the namespace a container's
// processes enter; never makes links other than bringing lo up, and never removes a namespace
// it did not pin for this container.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "networking/netns/netns.h"
#include "networking/netns/netns_store.h"

namespace berth::networking {

enum class NetworkModeKind { kNone, kHost, kJoin };

struct NetworkMode {
  NetworkModeKind kind = NetworkModeKind::kNone;
  std::string target;  // kJoin: the container whose namespace is shared

  // "none", "host", "container:<id>".
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const NetworkMode&, const NetworkMode&) = default;
};

// Parses what a user writes: "none", "host" or "container:<id>" (the id a pinnable name).
Result<NetworkMode> parse_network_mode(std::string_view text);

// The namespace a container runs in, and whether it was pinned for it (kNone: then
// release_network_mode() unpins it).
struct ModeNamespace {
  Netns netns;
  bool own = false;
};

// kNone: pins a new namespace as `container_id` in `store` and brings lo up there ("File
// exists" when the container has one already). kHost: the calling thread's namespace.
// kJoin: the namespace pinned as the target; refused, naming the target and the pin's path,
// when there is none.
Result<ModeNamespace> enter_network_mode(const NetworkMode& mode, NetnsStore& store, const std::string& container_id);
// Undoes enter_network_mode(): kNone unpins the container's namespace; kHost and kJoin leave
// the namespace they used alone. Idempotent.
Status release_network_mode(const NetworkMode& mode, NetnsStore& store, const std::string& container_id);

}  // namespace berth::networking
