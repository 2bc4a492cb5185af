// Translates OCI mount option strings ("nosuid", "rbind", "rro", "mode=755") into what
// mount(2) and mount_setattr(2) take. Pure parsing: no kernel calls.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::rt {

struct MountFlags {
  unsigned long flags = 0;        // MS_* for mount(2), MS_BIND/MS_REC included
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC)
  uint64_t recursive_set = 0;     // MOUNT_ATTR_* set recursively (rro, rnosuid, ...)
  uint64_t recursive_clear = 0;   // MOUNT_ATTR_* cleared recursively (rrw, rsuid, ...)
  std::string data;               // file-system specific options, comma-joined
  bool tmpcopyup = false;         // copy the underlying directory into a new tmpfs
  bool idmap = false;             // idmapped mount (idmap or ridmap)
  [[nodiscard]] bool is_bind() const;
};

// Unknown options are passed to the file system as data, as runc does.
Result<MountFlags> parse_mount_options(const std::vector<std::string>& options);

// The propagation flags for linux.rootfsPropagation ("rslave" -> MS_SLAVE|MS_REC).
Result<unsigned long> parse_propagation(const std::string& value);

}  // namespace berth::rt
