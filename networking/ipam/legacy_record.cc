#include "networking/ipam/legacy_record.h"

#include <sstream>

#include <cereal/archives/json.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>

#include "common/file.h"

namespace berth::ipam {
namespace {

struct PoolRecord {
  static constexpr int kVersion = 1;
  int version = kVersion;
  std::string subnet;
  std::string last_allocated;  // "" before the first allocation
  std::map<std::string, std::string> allocations;
};

template <class Archive>
void serialize(Archive& ar, PoolRecord& r) {
  ar(cereal::make_nvp("version", r.version), cereal::make_nvp("subnet", r.subnet),
     cereal::make_nvp("last_allocated", r.last_allocated), cereal::make_nvp("allocations", r.allocations));
}

}  // namespace

Result<LegacyRecord> read_legacy_record(const std::string& path, const networking::Subnet& subnet) {
  BERTH_ASSIGN(std::string text, read_file(path));
  PoolRecord record;
  try {
    std::istringstream in(text);
    cereal::JSONInputArchive ar(in);
    ar(cereal::make_nvp("pool", record));
  } catch (const std::exception& e) {
    return Error(EINVAL, "read " + path + ": " + e.what());
  }
  if (record.version > PoolRecord::kVersion) {
    return Error(EINVAL,
                 path + ": record version " + std::to_string(record.version) + " is newer than this berth understands");
  }
  if (record.subnet != subnet.to_string()) {
    return Error(EINVAL, path + ": holds subnet " + record.subnet + ", not " + subnet.to_string());
  }
  auto parse_member = [&](const std::string& text_address) -> Result<networking::IpAddress> {
    auto a = networking::IpAddress::parse(text_address);
    if (!a) return std::move(a).error().context(path);
    if (!subnet.contains(*a)) return Error(EINVAL, path + ": " + text_address + " is outside the subnet");
    return a;
  };
  LegacyRecord out;
  if (!record.last_allocated.empty()) {
    BERTH_ASSIGN(out.last_allocated, parse_member(record.last_allocated));
  }
  for (const auto& [id, text_address] : record.allocations) {
    BERTH_ASSIGN(out.allocations[id], parse_member(text_address));
  }
  return out;
}

}  // namespace berth::ipam
