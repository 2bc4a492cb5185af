// A private directory under /tmp for one unit test, removed with everything in it when the
// test ends. Test code only.
#pragma once

#include <stdlib.h>

#include <string>
#include <string_view>

#include "common/file.h"

namespace berth {

class TempDir {
 public:
  // Makes /tmp/<prefix>XXXXXX; path() is "" when that failed.
  explicit TempDir(std::string_view prefix) {
    std::string tmpl = "/tmp/" + std::string(prefix) + "XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) (void)remove_tree(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  // `name` inside the directory.
  [[nodiscard]] std::string path(std::string_view name) const { return path_join(path_, name); }

 private:
  std::string path_;
};

}  // namespace berth
