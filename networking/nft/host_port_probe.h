// Whether a host process holds a port: a bind() probe in the calling thread's network
// namespace. A published port has no socket of its own (DNAT takes the packets first), so a
// listener on it would silently stop getting them: berth refuses to publish such a port.
#pragma once

#include "common/result.h"
#include "networking/nft/port_mapping.h"

namespace berth::nft {

// An error naming the port when a socket of the mapping's protocol and family is bound to it
// (on the mapping's host address, or on any address when it has none). `mapping` is a single
// port. TCP sockets that are merely in TIME_WAIT do not count.
Status check_host_port_free(const PortMapping& mapping);

}  // namespace berth::nft
