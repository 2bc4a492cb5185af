// Which port rules a container's published ports become on a bridge network that may hand it
// an address of each family: a port published on every host address is forwarded in both
// families where the container has both; one on a given host address only in that family.
// Plain values, no kernel calls.
#pragma once

#include <vector>

#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/nft/port_mapping.h"

namespace berth::networking {

// `publish` (container_ip not filled in) as the mappings to give the nftables table, each
// with the container address of its family. Refused, naming the mapping, when one asks for a
// host address of a family the container has no address in.
Result<std::vector<nft::PortMapping>> port_rules(const std::vector<nft::PortMapping>& publish,
                                                 const std::vector<IpAddress>& container_addresses);

}  // namespace berth::networking
