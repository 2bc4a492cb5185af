// The image config (OCI image-spec config.md, which Docker's image JSON matches): the
// platform, the layers' diff_ids, history and the container defaults, in berth's own
// structs; and the chain IDs that name a layer stack. Parsing only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "images/digest/digest.h"

namespace berth::images {

// What a container of this image runs by default ("config" in the JSON).
struct ContainerDefaults {
  // nullopt when absent or null: an empty Cmd (`[]`) and no Cmd differ for `docker run`.
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string working_dir;
  std::string user;
  std::string stop_signal;
  std::vector<std::string> exposed_ports;  // "80/tcp", sorted
  std::vector<std::string> volumes;        // "/data", sorted
  std::map<std::string, std::string> labels;
};

struct HistoryEntry {
  std::string created;
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string os_version;
  std::string created;
  std::string author;
  ContainerDefaults config;
  std::vector<Digest> diff_ids;  // rootfs.diff_ids: the uncompressed layers, bottom first
  std::vector<HistoryEntry> history;
};

// Errors name the JSON path: "image config: rootfs.diff_ids[0]: invalid digest ...".
Result<ImageConfig> parse_image_config(std::string_view json);

// chainID(L0) = diffID0; chainID(Ln) = sha256(chainID(Ln-1) + " " + diffIDn): the name of
// the snapshot holding layers 0..n applied in order.
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

}  // namespace berth::images
