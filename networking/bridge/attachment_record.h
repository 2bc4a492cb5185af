// What bridge mode writes down per container in <state_dir>/attachments, so that a process
// killed half-way through attach can be cleaned up after by the next one: the record is
// written before attach allocates an address or makes a kernel object, marked attached when
// attach is done, and removed by detach only after everything else. Records are cereal JSON
// with a version; the store never touches links, addresses or rules itself.
//
// Writes are atomic (rename) but not fsynced: a killed process loses nothing that reached the
// page cache, and what a record describes beyond IPAM (veths, nftables rules) does not survive
// a reboot, while IPAM's own record is durable and recovered by container id. An fsync per
// record would double the disk flushes of every attach for no gain. A record emptied by a
// power loss counts as a partial write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/nft/port_mapping.h"

namespace berth::networking {

enum class AttachPhase : uint8_t {
  kAttaching,  // attach started: any part of it may exist
  kAttached,   // attach finished: all of it exists
};

struct AttachmentRecord {
  std::string container_id;
  AttachPhase phase = AttachPhase::kAttaching;
  std::string bridge;
  std::string host_veth;  // deleting it deletes the container's end too
  std::string ifname;     // the container's end, inside its namespace
  std::string netns;      // the container's namespace, by name (for messages)
  // While attaching: the addresses asked for; once attached: the addresses held.
  std::vector<IpAddress> addresses;
  // While attaching: the ports asked for; once attached: the rules in the nftables table.
  std::vector<nft::PortMapping> published;
};

class AttachmentStore {
 public:
  // The store in `dir`, made (0700) when missing.
  static Result<AttachmentStore> open(const std::string& dir);

  [[nodiscard]] const std::string& dir() const { return dir_; }
  // <dir>/<container id, with characters other than [A-Za-z0-9_.-] and a leading '.' as %XX>.json
  [[nodiscard]] std::string path_of(const std::string& container_id) const;

  // Replaces the container's record atomically and durably.
  Status save(const AttachmentRecord& record) const;
  // Removes the container's record; none is not an error.
  Status remove(const std::string& container_id) const;
  // Every record, in file name order; empty files (see above) are skipped.
  [[nodiscard]] Result<std::vector<AttachmentRecord>> load_all() const;
  // Deletes the temp files of writers killed before their rename, and empty records, and
  // returns their paths.
  [[nodiscard]] Result<std::vector<std::string>> remove_partial_writes() const;

 private:
  explicit AttachmentStore(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
};

}  // namespace berth::networking
