// What the ports isolator reports: the listeners of a container whose ports fall outside its
// allotment, and the sentence that tells people so. Pure functions on values: they never read
// the kernel, and decide nothing about killing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "isolators/isolator.h"
#include "isolators/ports/sock_diag.h"

namespace berth::isolators::ports {

// Limitation::reason for a container listening on ports it was not allotted.
inline constexpr std::string_view kPortsOutsideAllotment = "PortsOutsideAllotment";

// The listeners whose port is in no range of `allotted`, one per (port, transport) whatever
// the address family, sorted by port then transport.
std::vector<Listener> outside_allotment(const std::vector<Listener>& listeners, const std::vector<PortRange>& allotted);

// `container "c1" listens on 8080/tcp, 8080/udp outside its allotted ports 9000-9009`
// (`outside` as outside_allotment() returns it).
std::string describe_outside_allotment(std::string_view container_id, const std::vector<Listener>& outside,
                                       const std::vector<PortRange>& allotted);

// The distinct ports of `listeners`, ascending.
std::vector<uint16_t> listening_ports(const std::vector<Listener>& listeners);

}  // namespace berth::isolators::ports
