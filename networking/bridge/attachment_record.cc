#include "networking/bridge/attachment_record.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

#include <cereal/archives/json.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "common/file.h"

namespace berth::networking {
namespace {

constexpr std::string_view kSuffix = ".json";

// A published port as stored: addresses as text, no range left unset as 0.
struct StoredPort {
  std::string protocol;  // "tcp", "udp"
  std::string host_ip;   // "" for every address
  uint16_t host_port = 0;
  uint16_t host_port_last = 0;  // 0 for a single port
  std::string container_ip;
  uint16_t container_port = 0;
};

struct StoredRecord {
  static constexpr int kVersion = 1;
  int version = kVersion;
  std::string container_id;
  std::string phase;  // "attaching", "attached"
  std::string bridge;
  std::string host_veth;
  std::string ifname;
  std::string netns;
  std::vector<std::string> addresses;
  std::vector<StoredPort> published;
};

template <class Archive>
void serialize(Archive& ar, StoredPort& p) {
  ar(cereal::make_nvp("protocol", p.protocol), cereal::make_nvp("host_ip", p.host_ip),
     cereal::make_nvp("host_port", p.host_port), cereal::make_nvp("host_port_last", p.host_port_last),
     cereal::make_nvp("container_ip", p.container_ip), cereal::make_nvp("container_port", p.container_port));
}

template <class Archive>
void serialize(Archive& ar, StoredRecord& r) {
  ar(cereal::make_nvp("version", r.version), cereal::make_nvp("container_id", r.container_id),
     cereal::make_nvp("phase", r.phase), cereal::make_nvp("bridge", r.bridge),
     cereal::make_nvp("host_veth", r.host_veth), cereal::make_nvp("ifname", r.ifname),
     cereal::make_nvp("netns", r.netns), cereal::make_nvp("addresses", r.addresses),
     cereal::make_nvp("published", r.published));
}

StoredPort to_stored(const nft::PortMapping& m) {
  return {std::string(nft::protocol_name(m.protocol)),
          m.host_ip ? m.host_ip->to_string() : std::string(),
          m.host_port,
          m.host_port_last.value_or(0),
          m.container_ip.to_string(),
          m.container_port};
}

Result<nft::PortMapping> from_stored(const StoredPort& p) {
  nft::PortMapping m;
  if (p.protocol != "tcp" && p.protocol != "udp") return Error(EINVAL, "protocol \"" + p.protocol + "\"");
  m.protocol = p.protocol == "tcp" ? nft::Protocol::kTcp : nft::Protocol::kUdp;
  if (!p.host_ip.empty()) {
    BERTH_ASSIGN(m.host_ip, IpAddress::parse(p.host_ip));
  }
  m.host_port = p.host_port;
  if (p.host_port_last != 0) m.host_port_last = p.host_port_last;
  BERTH_ASSIGN(m.container_ip, IpAddress::parse(p.container_ip));
  m.container_port = p.container_port;
  return m;
}

StoredRecord to_stored(const AttachmentRecord& r) {
  StoredRecord s;
  s.container_id = r.container_id;
  s.phase = r.phase == AttachPhase::kAttached ? "attached" : "attaching";
  s.bridge = r.bridge;
  s.host_veth = r.host_veth;
  s.ifname = r.ifname;
  s.netns = r.netns;
  for (const auto& a : r.addresses) s.addresses.push_back(a.to_string());
  for (const auto& m : r.published) s.published.push_back(to_stored(m));
  return s;
}

Result<AttachmentRecord> from_stored(const StoredRecord& s) {
  if (s.version > StoredRecord::kVersion) {
    return Error(EINVAL, "record version " + std::to_string(s.version) + " is newer than this berth understands");
  }
  if (s.phase != "attaching" && s.phase != "attached") return Error(EINVAL, "phase \"" + s.phase + "\"");
  AttachmentRecord r{s.container_id,
                     s.phase == "attached" ? AttachPhase::kAttached : AttachPhase::kAttaching,
                     s.bridge,
                     s.host_veth,
                     s.ifname,
                     s.netns,
                     {},
                     {}};
  for (const auto& text : s.addresses) {
    BERTH_ASSIGN(auto address, IpAddress::parse(text));
    r.addresses.push_back(address);
  }
  for (const auto& p : s.published) {
    BERTH_ASSIGN(auto m, from_stored(p));
    r.published.push_back(m);
  }
  return r;
}

Result<AttachmentRecord> parse_record(const std::string& text) {
  StoredRecord stored;
  try {
    std::istringstream in(text);
    cereal::JSONInputArchive ar(in);
    ar(cereal::make_nvp("attachment", stored));
  } catch (const std::exception& e) {
    return Error(EINVAL, e.what());
  }
  return from_stored(stored);
}

// A record file's name: the id, with what could mean something to a path escaped.
std::string file_name(const std::string& container_id) {
  std::string out;
  for (size_t i = 0; i < container_id.size(); ++i) {
    const auto c = static_cast<unsigned char>(container_id[i]);
    const bool plain = std::isalnum(c) != 0 || c == '_' || c == '-' || (c == '.' && i != 0);
    if (plain) {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out + std::string(kSuffix);
}

}  // namespace

Result<AttachmentStore> AttachmentStore::open(const std::string& dir) {
  BERTH_TRY(mkdir_p(dir, 0700).context("attachment records"));
  return AttachmentStore(dir);
}

std::string AttachmentStore::path_of(const std::string& container_id) const {
  return path_join(dir_, file_name(container_id));
}

Status AttachmentStore::save(const AttachmentRecord& record) const {
  const std::string path = path_of(record.container_id);
  std::ostringstream out;
  try {
    cereal::JSONOutputArchive ar(out);
    StoredRecord stored = to_stored(record);
    ar(cereal::make_nvp("attachment", stored));
  } catch (const std::exception& e) {
    return Error(EIO, "serialize attachment record " + path + ": " + e.what());
  }
  return write_file_atomic(path, out.str(), 0600, Durability::kVolatile);
}

Status AttachmentStore::remove(const std::string& container_id) const {
  const std::string path = path_of(container_id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove attachment record " + path);
  return ok();
}

Result<std::vector<AttachmentRecord>> AttachmentStore::load_all() const {
  BERTH_ASSIGN(auto names, list_dir(dir_));
  std::sort(names.begin(), names.end());
  std::vector<AttachmentRecord> records;
  for (const auto& name : names) {
    if (!name.ends_with(kSuffix)) continue;
    const std::string path = path_join(dir_, name);
    BERTH_ASSIGN(auto text, read_file(path));
    if (text.empty()) continue;
    auto record = parse_record(text);
    if (!record) return record.error().context("read attachment record " + path);
    records.push_back(std::move(*record));
  }
  return records;
}

Result<std::vector<std::string>> AttachmentStore::remove_partial_writes() const {
  BERTH_ASSIGN(auto names, list_dir(dir_));
  std::vector<std::string> removed;
  for (const auto& name : names) {
    const std::string path = path_join(dir_, name);
    // write_file_atomic's temp files (<record>.json.tmp.<pid>), and records a power loss emptied.
    const bool temp = name.find(std::string(kSuffix) + ".tmp.") != std::string::npos;
    struct stat st {};
    const bool empty = name.ends_with(kSuffix) && ::stat(path.c_str(), &st) == 0 && st.st_size == 0;
    if (!temp && !empty) continue;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove partial record " + path);
    removed.push_back(path);
  }
  return removed;
}

}  // namespace berth::networking
