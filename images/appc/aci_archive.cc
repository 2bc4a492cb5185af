#include "images/appc/aci_archive.h"

#include <unistd.h>

#include <cerrno>

#include "images/unpack/layer_entries.h"
#include "images/unpack/tar_reader.h"

namespace berth::images::appc {
namespace {

// Hashes what passes through: the sha512 of the uncompressed tar is the ACI's image ID.
class HashingSource : public ByteSource {
 public:
  explicit HashingSource(ByteSource& in) : in_(in), hasher_(DigestAlgorithm::kSha512) {}
  Result<size_t> read(char* buf, size_t len) override {
    BERTH_ASSIGN(size_t n, in_.read(buf, len));
    hasher_.update(std::string_view(buf, n));
    return n;
  }
  Digest digest() { return hasher_.digest(); }

 private:
  ByteSource& in_;
  Hasher hasher_;
};

Result<std::string> read_manifest(TarReader& tar, const TarEntry& e) {
  if (e.type != TarType::kRegular) return Error(EINVAL, "\"manifest\" must be a regular file");
  if (e.size > kMaxManifestBytes) {
    return Error(EFBIG, "\"manifest\" is " + std::to_string(e.size) + " bytes, more than the " +
                            std::to_string(kMaxManifestBytes) + " allowed");
  }
  std::string out(e.size, '\0');
  size_t got = 0;
  while (got < out.size()) {
    BERTH_ASSIGN(size_t n, tar.read_data(out.data() + got, out.size() - got));
    if (n == 0) return Error(EIO, "\"manifest\" ends early");
    got += n;
  }
  return out;
}

// A rootfs entry (path relative to rootfs/) must not reach out of it through a link.
Status check_rootfs_entry(const TarEntry& e, const std::string& rel) {
  if (e.type == TarType::kSymlink) {
    size_t slash = rel.rfind('/');
    std::string dir = slash == std::string::npos ? "" : rel.substr(0, slash);
    if (detail::climbs_out_of_root(dir, e.link_target)) {
      return Error(EPERM, "symlink to \"" + e.link_target + "\" climbs out of rootfs/");
    }
  }
  if (e.type == TarType::kHardLink) {
    BERTH_ASSIGN(std::string target, detail::clean_entry_path(e.link_target).context("hard link"));
    if (!target.starts_with(std::string(kRootfsDir) + "/")) {
      return Error(EPERM, "hard link to \"" + e.link_target + "\" outside rootfs/");
    }
  }
  return ok();
}

struct Scan {
  std::string manifest;
  bool has_manifest = false;
  bool has_rootfs = false;
  uint64_t ignored = 0;
};

Status scan_entry(TarReader& tar, const TarEntry& e, Scan& scan) {
  BERTH_ASSIGN(std::string path, detail::clean_entry_path(e.path));
  if (path == kManifestEntry) {
    if (scan.has_manifest) return Error(EINVAL, "a second \"manifest\" entry");
    BERTH_ASSIGN(scan.manifest, read_manifest(tar, e));
    scan.has_manifest = true;
    return ok();
  }
  std::string prefix = std::string(kRootfsDir) + "/";
  if (path == kRootfsDir) {
    if (e.type != TarType::kDirectory) return Error(EINVAL, "\"rootfs\" must be a directory");
    scan.has_rootfs = true;
    return ok();
  }
  if (!path.starts_with(prefix)) {
    ++scan.ignored;
    return ok();
  }
  scan.has_rootfs = true;
  return check_rootfs_entry(e, path.substr(prefix.size()));
}

Result<Scan> scan_tar(ByteSource& source, const AciLimits& limits) {
  TarReader tar(source, TarLimits{limits.max_header_bytes});
  Scan scan;
  for (;;) {
    BERTH_ASSIGN(auto next, tar.next());
    if (!next) break;
    BERTH_TRY(scan_entry(tar, *next, scan).context("entry \"" + next->path + "\""));
  }
  if (!scan.has_manifest) return Error(EINVAL, "no \"manifest\" entry: not an ACI");
  if (!scan.has_rootfs) return Error(EINVAL, "no \"rootfs/\" directory: not an ACI");
  return scan;
}

}  // namespace

Result<AciContents> inspect_aci(int fd, const AciLimits& limits) {
  if (::lseek(fd, 0, SEEK_SET) != 0) return Error::from_errno("ACI: seek to the start");
  FdSource file(fd);
  LayerStream stream(file, limits.max_tar_bytes);
  HashingSource hashed(stream);
  BERTH_ASSIGN(Scan scan, scan_tar(hashed, limits).context("ACI"));
  // The padding after the end-of-archive blocks is part of the tar, so of the image ID.
  std::string rest(size_t{64} * 1024, '\0');
  for (;;) {
    BERTH_ASSIGN(size_t n, hashed.read(rest.data(), rest.size()).context("ACI: after the end-of-archive blocks"));
    if (n == 0) break;
  }
  BERTH_ASSIGN(std::string diff_id_text, stream.finish().context("ACI"));
  BERTH_ASSIGN(Digest diff_id, Digest::parse(diff_id_text));
  return AciContents{.id = hashed.digest(),
                     .diff_id = diff_id,
                     .tar_bytes = stream.bytes(),
                     .manifest = std::move(scan.manifest),
                     .ignored_entries = scan.ignored,
                     .compression = stream.compression()};
}

}  // namespace berth::images::appc
