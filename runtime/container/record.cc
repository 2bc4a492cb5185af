#include "runtime/container/record.h"

#include <sstream>

#include <cereal/archives/json.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "common/file.h"

namespace berth::cgroups {

template <class Archive>
void serialize(Archive& ar, CgroupDir& d) {
  ar(cereal::make_nvp("path", d.path), cereal::make_nvp("mount_point", d.mount_point),
     cereal::make_nvp("controllers", d.controllers), cereal::make_nvp("v2", d.v2));
}

}  // namespace berth::cgroups

namespace berth::container {

template <class Archive>
void serialize(Archive& ar, Record& r) {
  ar(cereal::make_nvp("version", r.version), cereal::make_nvp("id", r.id), cereal::make_nvp("bundle", r.bundle),
     cereal::make_nvp("rootfs", r.rootfs), cereal::make_nvp("pid", r.pid), cereal::make_nvp("start_time", r.start_time),
     cereal::make_nvp("created", r.created), cereal::make_nvp("owner", r.owner),
     cereal::make_nvp("annotations", r.annotations), cereal::make_nvp("cgroups", r.cgroups));
}

StatePaths::StatePaths(std::string root_dir, const std::string& id)
    : root(std::move(root_dir)), dir(path_join(root, id)) {}

Status save_record(const StatePaths& paths, const Record& record) {
  std::ostringstream out;
  try {
    cereal::JSONOutputArchive ar(out);
    ar(cereal::make_nvp("container", record));
  } catch (const std::exception& e) {
    return Error(EIO, std::string("serialize container record: ") + e.what());
  }
  return write_file_atomic(paths.record(), out.str(), 0600, Durability::kVolatile);
}

Result<Record> load_record(const StatePaths& paths) {
  auto text = read_file(paths.record());
  if (!text) {
    if (text.error().code() == ENOENT)
      return Error(ENOENT, "container \"" + basename_of(paths.dir) + "\" does not exist");
    return std::move(text).error();
  }
  Record record;
  try {
    std::istringstream in(*text);
    cereal::JSONInputArchive ar(in);
    ar(cereal::make_nvp("container", record));
  } catch (const std::exception& e) {
    return Error(EINVAL, "read " + paths.record() + ": " + e.what());
  }
  if (record.version > Record::kVersion) {
    return Error(EINVAL, paths.record() + ": record version " + std::to_string(record.version) +
                             " is newer than this berth-oci understands");
  }
  return record;
}

Status validate_id(const std::string& id) {
  if (id.empty()) return Error(EINVAL, "container id must not be empty");
  if (id.size() > 1024) return Error(EINVAL, "container id is longer than 1024 characters");
  if (id[0] == '.') return Error(EINVAL, "invalid container id \"" + id + "\": must not start with a dot");
  for (char c : id) {
    bool good = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
                c == '-' || c == '.';
    if (!good) return Error(EINVAL, "invalid container id \"" + id + "\": use letters, digits, _ + - . only");
  }
  return ok();
}

}  // namespace berth::container
