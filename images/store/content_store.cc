#include "images/store/content_store.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>

#include "common/file.h"
#include "common/strings.h"

namespace berth::images {
namespace {

constexpr size_t kChunk = size_t{128} * 1024;
constexpr std::array<DigestAlgorithm, 2> kAlgorithms = {DigestAlgorithm::kSha256, DigestAlgorithm::kSha512};

// Removes the temp file of an ingest unless it was renamed into place.
class TempBlob {
 public:
  TempBlob(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  ~TempBlob() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempBlob(const TempBlob&) = delete;
  TempBlob& operator=(const TempBlob&) = delete;
  TempBlob(TempBlob&&) = delete;
  TempBlob& operator=(TempBlob&&) = delete;

  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const std::string& path() const { return path_; }
  void keep() { path_.clear(); }

 private:
  std::string path_;
  UniqueFd fd_;
};

// Copies the reader into `fd`, hashing as it goes; stops as soon as it has more than `limit`.
Result<uint64_t> copy_and_hash(const ByteReader& reader, int fd, Hasher& hasher, uint64_t limit) {
  std::vector<char> buf(kChunk);
  uint64_t total = 0;
  for (;;) {
    BERTH_ASSIGN(size_t n, reader(buf.data(), buf.size()));
    if (n == 0) return total;
    total += n;
    if (total > limit) return total;
    std::string_view chunk(buf.data(), n);
    hasher.update(chunk);
    BERTH_TRY(write_all(fd, chunk, "blob temp file"));
  }
}

}  // namespace

ByteReader fd_reader(int fd) {
  return [fd](char* buf, size_t len) -> Result<size_t> {
    for (;;) {
      ssize_t n = ::read(fd, buf, len);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return Error::from_errno("read");
    }
  };
}

ByteReader fd_range_reader(int fd, uint64_t offset, uint64_t length) {
  auto pos = std::make_shared<uint64_t>(0);
  return [fd, offset, length, pos](char* buf, size_t len) -> Result<size_t> {
    size_t want = static_cast<size_t>(std::min<uint64_t>(len, length - *pos));
    if (want == 0) return size_t{0};
    for (;;) {
      ssize_t n = ::pread(fd, buf, want, static_cast<off_t>(offset + *pos));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::from_errno("read");
      if (n == 0) return Error(EIO, "file ends " + std::to_string(length - *pos) + " bytes early");
      *pos += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
  };
}

ByteReader string_reader(std::string_view data) {
  auto pos = std::make_shared<size_t>(0);
  return [data, pos](char* buf, size_t len) -> Result<size_t> {
    size_t n = std::min(len, data.size() - *pos);
    std::copy_n(data.data() + *pos, n, buf);
    *pos += n;
    return n;
  };
}

Result<ContentStore> ContentStore::open(const std::string& root) {
  BERTH_ASSIGN(std::string abs, absolute_path(root));
  ContentStore store(abs);
  for (DigestAlgorithm a : kAlgorithms) {
    BERTH_TRY(mkdir_p(path_join(path_join(abs, "blobs"), algorithm_name(a)), 0700));
  }
  BERTH_TRY(mkdir_p(store.ingest_dir(), 0700));
  BERTH_TRY(store.remove_stale_ingests());
  return store;
}

std::string ContentStore::blob_path(const Digest& digest) const {
  return root_ + "/blobs/" + std::string(algorithm_name(digest.algorithm())) + "/" + digest.hex();
}

std::string ContentStore::ingest_dir() const { return path_join(root_, "ingest"); }

// Temp files are named "<pid>-XXXXXX": one whose process is gone is an interrupted ingest.
Status ContentStore::remove_stale_ingests() const {
  BERTH_ASSIGN(auto names, list_dir(ingest_dir()));
  for (const std::string& name : names) {
    auto pid = parse_int(name.substr(0, name.find('-')));
    if (pid && *pid > 0 && (::kill(static_cast<pid_t>(*pid), 0) == 0 || errno != ESRCH)) continue;
    std::string path = path_join(ingest_dir(), name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove stale ingest " + path);
  }
  return ok();
}

bool ContentStore::has(const Digest& digest) const { return path_exists(blob_path(digest)); }

Result<uint64_t> ContentStore::blob_size(const Digest& digest) const {
  struct stat st {};
  if (::stat(blob_path(digest).c_str(), &st) != 0) return Error::from_errno("blob " + digest.str());
  return static_cast<uint64_t>(st.st_size);
}

Result<UniqueFd> ContentStore::open_blob(const Digest& digest) const {
  int fd = ::open(blob_path(digest).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return Error(ENOENT, "blob " + digest.str() + " is not in the store");
    return Error::from_errno("open blob " + digest.str());
  }
  return UniqueFd(fd);
}

Result<std::string> ContentStore::read_blob(const Digest& digest, uint64_t max_size) const {
  BERTH_ASSIGN(UniqueFd fd, open_blob(digest));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat blob " + digest.str());
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    return Error(EFBIG, "blob " + digest.str() + " is " + std::to_string(st.st_size) + " bytes, more than the " +
                            std::to_string(max_size) + " allowed here");
  }
  return read_fd(fd.get()).context("read blob " + digest.str());
}

Result<bool> ContentStore::ingest(const ByteReader& reader, const Digest& expected, uint64_t expected_size) {
  std::string what = "ingest " + expected.str();
  if (has(expected)) {
    BERTH_ASSIGN(uint64_t stored, blob_size(expected));
    if (stored == expected_size) return false;
    return Error(EINVAL, what + ": size mismatch: expected " + std::to_string(expected_size) +
                             " bytes, the stored blob has " + std::to_string(stored));
  }
  std::string tmpl = path_join(ingest_dir(), std::to_string(::getpid()) + "-XXXXXX");
  int raw = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (raw < 0) return Error::from_errno(what + ": create temp file in " + ingest_dir());
  TempBlob temp(tmpl, UniqueFd(raw));

  Hasher hasher(expected.algorithm());
  auto copied = copy_and_hash(reader, temp.fd(), hasher, expected_size);
  if (!copied) return std::move(copied).error().context(what);
  if (*copied != expected_size) {
    std::string got = *copied > expected_size ? "more" : std::to_string(*copied);
    return Error(EINVAL, what + ": size mismatch: expected " + std::to_string(expected_size) + " bytes, got " + got);
  }
  Digest actual = hasher.digest();
  if (actual != expected) {
    return Error(EINVAL, what + ": digest mismatch: expected " + expected.str() + ", got " + actual.str());
  }
  if (::fchmod(temp.fd(), 0444) != 0) return Error::from_errno(what + ": chmod " + temp.path());
  if (::fsync(temp.fd()) != 0) return Error::from_errno(what + ": fsync " + temp.path());
  std::string target = blob_path(expected);
  if (::rename(temp.path().c_str(), target.c_str()) != 0) {
    return Error::from_errno(what + ": rename " + temp.path() + " to " + target);
  }
  temp.keep();
  BERTH_TRY(fsync_dir(dirname_of(target)));
  return true;
}

Result<Digest> ContentStore::put(std::string_view data) {
  Digest digest = Digest::of(data);
  BERTH_TRY(ingest(string_reader(data), digest, data.size()));
  return digest;
}

Status ContentStore::remove_blob(const Digest& digest) {
  std::string path = blob_path(digest);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("remove blob " + digest.str());
  return ok();
}

Result<std::vector<BlobInfo>> ContentStore::list_blobs() const {
  std::vector<BlobInfo> out;
  for (DigestAlgorithm a : kAlgorithms) {
    std::string name(algorithm_name(a));
    BERTH_ASSIGN(auto entries, list_dir(root_ + "/blobs/" + name));
    for (const std::string& hex : entries) {
      std::string text = name;
      text += ':';
      text += hex;
      auto digest = Digest::parse(text);
      if (!digest) continue;  // not a blob: never ours to judge or remove
      BERTH_ASSIGN(uint64_t size, blob_size(*digest));
      out.push_back({*digest, size});
    }
  }
  std::sort(out.begin(), out.end(), [](const BlobInfo& a, const BlobInfo& b) { return a.digest < b.digest; });
  return out;
}

Status StoreLock::make_exclusive() {
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Error::from_errno("lock the content store exclusively");
  }
  return ok();
}

Result<StoreLock> ContentStore::lock(bool exclusive) const {
  std::string path = path_join(root_, "lock");
  BERTH_ASSIGN(UniqueFd fd, open_path(path, O_RDWR | O_CREAT, 0600));
  while (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) return Error::from_errno("lock " + path);
  }
  return StoreLock(std::move(fd));
}

}  // namespace berth::images
