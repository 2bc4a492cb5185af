#include "images/store/image_record.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <sstream>

#include <cereal/archives/json.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "common/file.h"
#include "common/strings.h"

namespace berth::images {

template <class Archive>
std::string save_minimal(const Archive& /*archive*/, const Digest& d) {
  return d.str();
}

template <class Archive>
void load_minimal(const Archive& /*archive*/, Digest& d, const std::string& text) {
  if (text.empty()) {
    d = Digest();
    return;
  }
  auto parsed = Digest::parse(text);
  if (!parsed) throw cereal::Exception(parsed.error().message());
  d = *parsed;
}

template <class Archive>
void serialize(Archive& ar, LayerRecord& l) {
  ar(cereal::make_nvp("digest", l.digest), cereal::make_nvp("media_type", l.media_type),
     cereal::make_nvp("size", l.size), cereal::make_nvp("diff_id", l.diff_id),
     cereal::make_nvp("chain_id", l.chain_id));
}

template <class Archive>
void serialize(Archive& ar, ImageRecord& r) {
  ar(cereal::make_nvp("version", r.version), cereal::make_nvp("name", r.name),
     cereal::make_nvp("index_digest", r.index_digest), cereal::make_nvp("manifest_digest", r.manifest_digest),
     cereal::make_nvp("manifest_media_type", r.manifest_media_type), cereal::make_nvp("config_digest", r.config_digest),
     cereal::make_nvp("os", r.os), cereal::make_nvp("architecture", r.architecture),
     cereal::make_nvp("variant", r.variant), cereal::make_nvp("layers", r.layers));
}

namespace {

std::string records_dir(const ContentStore& store) { return path_join(store.root(), "images"); }

// Names hold '/' and ':': the file is named by the name's sha256 and the name is inside.
std::string record_path(const ContentStore& store, std::string_view name) {
  return path_join(records_dir(store), Digest::of(name).hex() + ".json");
}

Result<ImageRecord> read_record(const std::string& path) {
  BERTH_ASSIGN(std::string text, read_file(path));
  ImageRecord record;
  try {
    std::istringstream in(text);
    cereal::JSONInputArchive ar(in);
    ar(cereal::make_nvp("image", record));
  } catch (const std::exception& e) {
    return Error(EINVAL, "read image record " + path + ": " + e.what());
  }
  if (record.version > ImageRecord::kVersion) {
    return Error(EINVAL, "image record " + path + ": version " + std::to_string(record.version) +
                             " is newer than this berth understands");
  }
  return record;
}

}  // namespace

Status save_image_record(const ContentStore& store, const ImageRecord& record) {
  if (record.name.empty()) return Error(EINVAL, "an image record needs a name");
  std::ostringstream out;
  try {
    cereal::JSONOutputArchive ar(out);
    ar(cereal::make_nvp("image", record));
  } catch (const std::exception& e) {
    return Error(EIO, "serialize image record " + record.name + ": " + e.what());
  }
  BERTH_TRY(mkdir_p(records_dir(store), 0700));
  return write_file_atomic(record_path(store, record.name), out.str(), 0600);
}

Result<ImageRecord> load_image_record(const ContentStore& store, std::string_view name) {
  std::string path = record_path(store, name);
  if (!path_exists(path)) return Error(ENOENT, "image \"" + std::string(name) + "\" is not in the store");
  return read_record(path);
}

Result<std::vector<ImageRecord>> list_image_records(const ContentStore& store) {
  std::vector<ImageRecord> out;
  if (!path_exists(records_dir(store))) return out;
  BERTH_ASSIGN(auto names, list_dir(records_dir(store)));
  for (const std::string& name : names) {
    if (name.size() != 64 + 5 || name.substr(64) != ".json") continue;  // temp files of writers
    BERTH_ASSIGN(ImageRecord record, read_record(path_join(records_dir(store), name)));
    out.push_back(std::move(record));
  }
  std::sort(out.begin(), out.end(), [](const ImageRecord& a, const ImageRecord& b) { return a.name < b.name; });
  return out;
}

Status remove_image_record(const ContentStore& store, std::string_view name) {
  std::string path = record_path(store, name);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Error(ENOENT, "image \"" + std::string(name) + "\" is not in the store");
    return Error::from_errno("remove image record " + path);
  }
  return ok();
}

}  // namespace berth::images
