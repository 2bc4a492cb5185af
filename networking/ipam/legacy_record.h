// The per-subnet IPAM record of berth before allocation directories (one cereal JSON file,
// <network>_<prefix>.json, rewritten whole on every change): read only, so that
// AddressPool::open() can move its allocations into the directory once.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "networking/addr/ip_address.h"

namespace berth::ipam {

struct LegacyRecord {
  std::optional<networking::IpAddress> last_allocated;
  std::map<std::string, networking::IpAddress> allocations;  // container id -> address
};

// Refuses a record of a newer version, of another subnet, or with an address outside it.
Result<LegacyRecord> read_legacy_record(const std::string& path, const networking::Subnet& subnet);

}  // namespace berth::ipam
