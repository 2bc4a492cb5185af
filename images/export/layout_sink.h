// Where an export writes its members: a directory (an OCI layout directory) or a tar file
// (a docker-archive, an OCI layout tar). The exporters name members by relative paths
// ("blobs/sha256/<hex>") and stream their bytes; the sink decides how they land.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "images/export/tar_writer.h"
#include "images/store/content_store.h"

namespace berth::images {

class LayoutSink {
 public:
  virtual ~LayoutSink() = default;
  virtual Status add_directory(std::string_view name) = 0;
  // Writes what `data` yields as the file `name`; returns its size.
  virtual Result<uint64_t> add_file(std::string_view name, const ByteReader& data) = 0;
  // Everything is written (and durable once the staged output is committed).
  virtual Status finish() = 0;
};

// Members become files under `root`; each is fsynced, and so is each directory at finish().
class DirectorySink : public LayoutSink {
 public:
  explicit DirectorySink(std::string root) : root_(std::move(root)) {}
  Status add_directory(std::string_view name) override;
  Result<uint64_t> add_file(std::string_view name, const ByteReader& data) override;
  Status finish() override;

 private:
  std::string root_;
  std::vector<std::string> directories_;
};

// Members become entries of a tar written to `fd`.
class TarSink : public LayoutSink {
 public:
  TarSink(int fd, std::string what) : tar_(fd, std::move(what)) {}
  Status add_directory(std::string_view name) override { return tar_.add_directory(name); }
  Result<uint64_t> add_file(std::string_view name, const ByteReader& data) override {
    return tar_.add_file(name, data);
  }
  Status finish() override { return tar_.finish(); }

 private:
  TarWriter tar_;
};

}  // namespace berth::images
