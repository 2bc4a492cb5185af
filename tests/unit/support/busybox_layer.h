// The busybox layer that scripts/make-busybox-fixture.sh builds from Debian's busybox-static,
// and a shell runner to compare berth with the system's tar, gzip and sha256sum. Test code only.
#pragma once

#include <cstdio>
#include <string>

namespace berth::testing {

// The standard output of `cmd` run by /bin/sh ("" if it could not be started).
inline std::string shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// The fixture's layer.tar.gz, built on first use; "" when it cannot be built (no busybox-static).
inline std::string busybox_layer(const std::string& source_dir) {
  std::string dir = shell("bash " + source_dir + "/scripts/make-busybox-fixture.sh rootfs-template 2>/dev/null");
  while (!dir.empty() && dir.back() == '\n') dir.pop_back();
  return dir.empty() ? dir : dir + "/layer.tar.gz";
}

}  // namespace berth::testing
