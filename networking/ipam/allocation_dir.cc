#include "networking/ipam/allocation_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <sstream>

#include <cereal/archives/json.hpp>
#include <cereal/types/string.hpp>

#include "common/file.h"

namespace berth::ipam {

using networking::IpAddress;
using networking::Subnet;

namespace {

constexpr const char* kAddresses = "addresses";
constexpr const char* kContainers = "containers";
constexpr const char* kMeta = "pool.json";
constexpr const char* kHint = "last";
// An escaped id must fit a file name (255 bytes) with room to spare.
constexpr size_t kMaxEntryName = 240;

struct PoolMeta {
  static constexpr int kVersion = 2;
  int version = kVersion;
  std::string subnet;
};

template <class Archive>
void serialize(Archive& ar, PoolMeta& m) {
  ar(cereal::make_nvp("version", m.version), cereal::make_nvp("subnet", m.subnet));
}

// Writes pool.json when missing, else checks that it describes `subnet`.
Status check_meta(const std::string& path, const Subnet& subnet) {
  PoolMeta meta;
  auto text = read_file(path);
  if (!text && text.error().code() != ENOENT) return std::move(text).error();
  if (!text) {
    meta.subnet = subnet.to_string();
    std::ostringstream out;
    {
      cereal::JSONOutputArchive ar(out);
      ar(cereal::make_nvp("pool", meta));
    }
    return write_file_atomic(path, out.str(), 0600, Durability::kDurable);
  }
  try {
    std::istringstream in(*text);
    cereal::JSONInputArchive ar(in);
    ar(cereal::make_nvp("pool", meta));
  } catch (const std::exception& e) {
    return Error(EINVAL, "read " + path + ": " + e.what());
  }
  if (meta.version > PoolMeta::kVersion) {
    return Error(EINVAL, path + ": version " + std::to_string(meta.version) + " is newer than this berth understands");
  }
  if (meta.subnet != subnet.to_string()) {
    return Error(EINVAL, path + ": holds subnet " + meta.subnet + ", not " + subnet.to_string());
  }
  return ok();
}

Result<UniqueFd> open_part(const std::string& dir, const char* name) {
  const std::string path = path_join(dir, name);
  BERTH_TRY(mkdir_p(path, 0700));
  return open_path(path, O_RDONLY | O_DIRECTORY);
}

// The target of the symlink `name` in `dir_fd`; nothing when there is none.
Result<std::optional<std::string>> read_link_at(int dir_fd, const std::string& name, const std::string& where) {
  std::array<char, PATH_MAX> buf{};
  const ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
  if (n < 0 && errno == ENOENT) return std::optional<std::string>();
  if (n < 0) return Error::from_errno("read " + path_join(where, name));
  return std::optional<std::string>(std::string(buf.data(), static_cast<size_t>(n)));
}

Status unlink_at(int dir_fd, const std::string& name, const std::string& where) {
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return Error::from_errno("remove " + path_join(where, name));
  }
  return ok();
}

bool plain_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':';
}

}  // namespace

Result<std::string> container_entry_name(const std::string& container_id) {
  if (container_id.empty()) return Error(EINVAL, "ipam: empty container id");
  std::string out;
  for (size_t i = 0; i < container_id.size(); ++i) {
    const char c = container_id[i];
    if (c == '\0') return Error(EINVAL, "ipam: container id holds a NUL");
    // A leading dot is escaped too: no "." or ".." entries, and no hidden ones.
    if (plain_id_char(c) && !(i == 0 && c == '.')) {
      out.push_back(c);
      continue;
    }
    constexpr std::string_view kHex = "0123456789abcdef";
    const auto byte = static_cast<unsigned char>(c);
    out += {'%', kHex[byte >> 4], kHex[byte & 0xf]};
  }
  if (out.size() > kMaxEntryName) {
    return Error(ENAMETOOLONG, "ipam: container id \"" + container_id.substr(0, 32) + "...\" is too long");
  }
  return out;
}

Result<AllocationDir> AllocationDir::open(const std::string& path, const Subnet& subnet) {
  BERTH_TRY(mkdir_p(path, 0700).context("ipam allocation dir"));
  BERTH_TRY(check_meta(path_join(path, kMeta), subnet));
  BERTH_ASSIGN(UniqueFd dir, open_path(path, O_RDONLY | O_DIRECTORY));
  BERTH_ASSIGN(UniqueFd addresses, open_part(path, kAddresses));
  BERTH_ASSIGN(UniqueFd containers, open_part(path, kContainers));
  return AllocationDir(path, subnet, std::move(dir), std::move(addresses), std::move(containers));
}

Result<std::optional<std::string>> AllocationDir::holder_of(const std::string& address_name) const {
  return read_link_at(addresses_.get(), address_name, path_join(path_, kAddresses));
}

Result<std::optional<std::string>> AllocationDir::claim(const IpAddress& address, const std::string& container_id) {
  const std::string name = address.to_string();
  const std::string what = "claim " + path_join(path_join(path_, kAddresses), name);
  // The holder may release between our symlinkat and our readlinkat: then try again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    // Not fsynced: a claim matters while the host is up (every process sees it at once); a
    // host crash takes every container's network with it, and a claim lost there only frees
    // an address nobody uses. (An fsync here cost 8-12 ms per container on a busy disk.)
    if (::symlinkat(container_id.c_str(), addresses_.get(), name.c_str()) == 0) return std::optional<std::string>();
    if (errno != EEXIST) return Error::from_errno(what);
    BERTH_ASSIGN(std::optional<std::string> holder, holder_of(name));
    if (holder) return holder;
  }
  return Error(EAGAIN, what + ": taken and freed again three times in a row");
}

Status AllocationDir::index(const std::string& container_id, const IpAddress& address) {
  BERTH_ASSIGN(std::string entry, container_entry_name(container_id));
  const std::string target = address.to_string();
  if (::symlinkat(target.c_str(), containers_.get(), entry.c_str()) == 0) return ok();
  const std::string where = path_join(path_, kContainers);
  if (errno != EEXIST) return Error::from_errno("index " + path_join(where, entry));
  // A stale entry (its address is no longer the container's): replace it.
  BERTH_TRY(unlink_at(containers_.get(), entry, where));
  if (::symlinkat(target.c_str(), containers_.get(), entry.c_str()) != 0) {
    return Error::from_errno("index " + path_join(where, entry));
  }
  return ok();
}

Result<std::optional<IpAddress>> AllocationDir::address_of(const std::string& container_id) const {
  BERTH_ASSIGN(std::string entry, container_entry_name(container_id));
  BERTH_ASSIGN(std::optional<std::string> target,
               read_link_at(containers_.get(), entry, path_join(path_, kContainers)));
  if (!target) return std::optional<IpAddress>();
  auto address = IpAddress::parse(*target);
  if (!address || !subnet_.contains(*address)) return std::optional<IpAddress>();  // not ours: stale
  BERTH_ASSIGN(std::optional<std::string> holder, holder_of(*target));
  if (holder != container_id) return std::optional<IpAddress>();
  return std::optional<IpAddress>(*address);
}

Status AllocationDir::release(const std::string& container_id) {
  BERTH_ASSIGN(std::optional<IpAddress> address, address_of(container_id));
  BERTH_ASSIGN(std::string entry, container_entry_name(container_id));
  if (address) BERTH_TRY(release(*address, container_id));
  return unlink_at(containers_.get(), entry, path_join(path_, kContainers));
}

Status AllocationDir::release(const IpAddress& address, const std::string& container_id) {
  const std::string name = address.to_string();
  BERTH_ASSIGN(std::optional<std::string> holder, holder_of(name));
  if (holder != container_id) return ok();
  // Not fsynced either (see claim()): a release lost in a crash is redone by recover().
  BERTH_TRY(unlink_at(addresses_.get(), name, path_join(path_, kAddresses)));
  BERTH_ASSIGN(std::string entry, container_entry_name(container_id));
  BERTH_ASSIGN(std::optional<std::string> indexed,
               read_link_at(containers_.get(), entry, path_join(path_, kContainers)));
  if (indexed == name) BERTH_TRY(unlink_at(containers_.get(), entry, path_join(path_, kContainers)));
  return ok();
}

Result<std::map<std::string, IpAddress>> AllocationDir::list() const {
  const std::string where = path_join(path_, kAddresses);
  BERTH_ASSIGN(std::vector<std::string> names, list_dir(where));
  std::map<std::string, IpAddress> out;
  for (const std::string& name : names) {
    auto address = IpAddress::parse(name);
    if (!address || !subnet_.contains(*address)) {
      return Error(EINVAL, path_join(where, name) + ": not an address of subnet " + subnet_.to_string());
    }
    BERTH_ASSIGN(std::optional<std::string> holder, holder_of(name));
    if (holder) out.emplace(*holder, *address);  // gone meanwhile: released
  }
  return out;
}

Status AllocationDir::prune_index() {
  const std::string where = path_join(path_, kContainers);
  BERTH_ASSIGN(std::vector<std::string> entries, list_dir(where));
  for (const std::string& entry : entries) {
    BERTH_ASSIGN(std::optional<std::string> target, read_link_at(containers_.get(), entry, where));
    std::optional<std::string> holder;
    if (target && IpAddress::parse(*target)) {
      BERTH_ASSIGN(holder, holder_of(*target));
    }
    bool current = false;
    if (holder) {
      auto holder_entry = container_entry_name(*holder);
      current = holder_entry && *holder_entry == entry;
    }
    if (!current) BERTH_TRY(unlink_at(containers_.get(), entry, where));
  }
  return ok();
}

std::optional<IpAddress> AllocationDir::last_given() const {
  auto target = read_link_at(dir_.get(), kHint, path_);
  if (!target || !*target) return std::nullopt;
  auto address = IpAddress::parse(**target);
  if (!address || !subnet_.contains(*address)) return std::nullopt;
  return *address;
}

Status AllocationDir::set_last_given(const IpAddress& address) const {
  // A symlink renamed over the old one: atomic, and unlike a data file replaced by rename it
  // makes ext4 flush nothing (auto_da_alloc). Not fsynced: losing the hint in a crash only
  // restarts the round robin from the beginning.
  const std::string temp = std::string(kHint) + ".tmp." + std::to_string(::getpid());
  const std::string target = address.to_string();
  (void)::unlinkat(dir_.get(), temp.c_str(), 0);
  if (::symlinkat(target.c_str(), dir_.get(), temp.c_str()) != 0) {
    return Error::from_errno("write " + path_join(path_, temp));
  }
  if (::renameat(dir_.get(), temp.c_str(), dir_.get(), kHint) != 0) {
    const int e = errno;
    (void)::unlinkat(dir_.get(), temp.c_str(), 0);
    return Error::from_errno("rename " + path_join(path_, temp) + " to " + kHint, e);
  }
  return ok();
}

}  // namespace berth::ipam
