// snapshot.json and the validation of the ids that name directories under the root.
#include "images/snapshot/snapshot_record.h"

#include "common/file.h"
#include "common/json.h"

namespace berth::images {

Status write_snapshot_record(const std::string& path, const SnapshotRecord& record) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  json_key(w, "version");
  w.Int(SnapshotRecord::kVersion);
  json_key(w, "backend");
  json_string(w, record.backend);
  json_key(w, "layers");
  w.StartArray();
  for (const auto& id : record.chain_ids) json_string(w, id);
  w.EndArray();
  w.EndObject();
  return write_file_atomic(path, std::string_view(buf.GetString(), buf.GetSize()));
}

Result<SnapshotRecord> read_snapshot_record(const std::string& path) {
  BERTH_ASSIGN(std::string text, read_file(path));
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(text, path));
  JsonNode root(doc);
  SnapshotRecord r;
  auto backend = root.field("backend");
  if (!backend) return root.error("backend: missing").context(path);
  BERTH_ASSIGN(r.backend, backend->as_string().context(path));
  if (auto layers = root.field("layers")) {
    BERTH_ASSIGN(r.chain_ids, layers->as_string_array().context(path));
  }
  return r;
}

Result<std::string> chain_id_hex(const std::string& chain_id) {
  constexpr std::string_view kPrefix = "sha256:";
  std::string_view hex = std::string_view(chain_id).substr(std::min(chain_id.size(), kPrefix.size()));
  bool ok = chain_id.starts_with(kPrefix) && hex.size() == 64 &&
            hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  if (!ok) return Error(EINVAL, "chain ID \"" + chain_id + "\" is not sha256:<64 lowercase hex digits>");
  return std::string(hex);
}

Status check_snapshot_id(const std::string& id) {
  bool ok =
      !id.empty() && id.size() <= 128 && id[0] != '.' &&
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == std::string::npos;
  if (!ok) return Error(EINVAL, "snapshot id \"" + id + "\" must be 1 to 128 of [A-Za-z0-9_.-], not starting with '.'");
  return berth::ok();
}

}  // namespace berth::images
