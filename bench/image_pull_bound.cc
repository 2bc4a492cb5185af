#include "bench/image_pull_bound.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>

#include "bench/child_process.h"
#include "common/fd.h"
#include "common/file.h"
#include "images/unpack/tar_reader.h"

namespace berth::bench {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

Result<double> fetch_ms(const BoundInput& in) {
  std::vector<std::string> argv = {"curl", "-s", "--fail", "--parallel", "--parallel-max", "16"};
  for (const auto& d : in.digests) {
    argv.insert(argv.end(), {"-o", "/dev/null", "http://" + in.registry + "/v2/" + in.repository + "/blobs/" + d});
  }
  const auto t0 = Clock::now();
  BERTH_TRY(run_command(argv, in.log));
  return ms_since(t0);
}

// A whole gzip stream (all its members) inflated into `out`.
Status inflate_gzip(const std::string& blob, std::string& out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Error(ENOMEM, "inflateInit2");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(blob.data()));
  z.avail_in = static_cast<uInt>(blob.size());
  constexpr size_t kStep = size_t{1} << 20;
  int rc = Z_OK;
  while (rc != Z_STREAM_END || z.avail_in > 0) {
    if (rc == Z_STREAM_END) inflateReset(&z);
    const size_t used = out.size();
    out.resize(used + kStep);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(kStep);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(used + kStep - z.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return Error(EPROTO, "inflate: " + std::to_string(rc));
    }
  }
  inflateEnd(&z);
  return ok();
}

// Tar entries onto `root` with plain *at calls; the archive is trusted (bench fixtures).
class PlainWriter {
 public:
  explicit PlainWriter(int root) : root_(root) {}

  Status entry(images::TarReader& tar, const images::TarEntry& e) {
    std::string path = e.path;
    while (path.starts_with("./")) path.erase(0, 2);
    while (path.ends_with('/')) path.pop_back();
    if (path.empty() || path == ".") return ok();
    const char* p = path.c_str();
    switch (e.type) {
      case images::TarType::kDirectory:
        if (::mkdirat(root_, p, 0755) != 0 && errno != EEXIST) return Error::from_errno("mkdir " + path);
        return ok();
      case images::TarType::kSymlink:
        if (::symlinkat(e.link_target.c_str(), root_, p) != 0) return Error::from_errno("symlink " + path);
        return ok();
      case images::TarType::kHardLink:
        if (::linkat(root_, e.link_target.c_str(), root_, p, 0) != 0) return Error::from_errno("link " + path);
        return ok();
      case images::TarType::kRegular: return file(tar, path);
      default: return ok();
    }
  }

 private:
  Status file(images::TarReader& tar, const std::string& path) {
    UniqueFd fd(::openat(root_, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return Error::from_errno("create " + path);
    for (;;) {
      BERTH_ASSIGN(size_t n, tar.read_data(buf_.data(), buf_.size()));
      if (n == 0) return ok();
      BERTH_TRY(write_all(fd.get(), std::string_view(buf_.data(), n), path));
    }
  }

  int root_;
  std::string buf_ = std::string(size_t{1} << 20, '\0');
};

Result<uint64_t> write_layer(std::string tar_bytes, const std::string& dir) {
  BERTH_TRY(mkdir_p(dir, 0755));
  BERTH_ASSIGN(UniqueFd root, open_path(dir, O_RDONLY | O_DIRECTORY));
  images::StringSource source(std::move(tar_bytes));
  images::TarReader tar(source, images::TarLimits{});
  PlainWriter writer(root.get());
  uint64_t entries = 0;
  for (;;) {
    BERTH_ASSIGN(auto e, tar.next());
    if (!e) return entries;
    BERTH_TRY(writer.entry(tar, *e));
    ++entries;
  }
}

}  // namespace

Result<BoundSample> measure_bound(const BoundInput& in) {
  BoundSample s;
  s.layers = in.blob_paths.size();
  BERTH_ASSIGN(s.fetch_ms, fetch_ms(in));
  std::vector<std::string> blobs;
  for (const auto& p : in.blob_paths) {
    BERTH_ASSIGN(auto b, read_file(p));
    s.compressed_bytes += b.size();
    blobs.push_back(std::move(b));
  }
  std::vector<std::string> tars(blobs.size());
  auto t0 = Clock::now();
  for (size_t i = 0; i < blobs.size(); ++i) BERTH_TRY(inflate_gzip(blobs[i], tars[i]).context(in.blob_paths[i]));
  s.inflate_ms = ms_since(t0);
  for (const auto& t : tars) s.uncompressed_bytes += t.size();
  t0 = Clock::now();
  for (size_t i = 0; i < tars.size(); ++i) {
    BERTH_ASSIGN(uint64_t n, write_layer(std::move(tars[i]), path_join(in.work_dir, "layer" + std::to_string(i))));
    s.entries += n;
  }
  s.write_ms = ms_since(t0);
  return s;
}

}  // namespace berth::bench
