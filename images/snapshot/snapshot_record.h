// The record of one container snapshot, <root>/containers/<id>/snapshot.json: which
// backend made it and which layers (bottom first) it stands on. Versioned JSON, written
// atomically; read back by mounts() and by the unused-layer scan.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace berth::images {

struct SnapshotRecord {
  static constexpr int kVersion = 1;
  std::string backend;                 // "overlay" or "copy"
  std::vector<std::string> chain_ids;  // bottom first
};

Status write_snapshot_record(const std::string& path, const SnapshotRecord& record);
Result<SnapshotRecord> read_snapshot_record(const std::string& path);

// "sha256:<64 hex>" -> the hex; anything else is an error (it becomes a directory name).
Result<std::string> chain_id_hex(const std::string& chain_id);
// Container ids become directory names too: [A-Za-z0-9_.-], 1..128, no leading dot.
Status check_snapshot_id(const std::string& id);

}  // namespace berth::images
