// Debian's docker-registry (distribution 2.8) started by a test on a free loopback port,
// plain HTTP, storing in the test's temp dir, optionally with htpasswd Basic auth; images
// pushed to it with skopeo. Stopped (by its pid) and its files removed when the test ends.
// Test code only.
#pragma once

#include <sys/types.h>

#include <string>

#include "tests/integration/support/fixture.h"

namespace berth::integration {

class LocalRegistry {
 public:
  struct Options {
    std::string user, password;  // both set: htpasswd Basic auth
  };
  explicit LocalRegistry(const Options& options);
  LocalRegistry() : LocalRegistry(Options{}) {}
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  // Why it is not running ("" when it is): a missing package is a reason to skip.
  [[nodiscard]] const std::string& unavailable() const { return unavailable_; }
  [[nodiscard]] const std::string& host() const { return host_; }  // "127.0.0.1:PORT"
  [[nodiscard]] const std::string& data_dir() const { return data_; }

  // skopeo copy of `source` ("oci:DIR:latest") to docker://HOST/REPO:TAG.
  RunResult push(const std::string& source, const std::string& repo_tag) const;

 private:
  bool start(const std::string& config);
  std::string unavailable_, dir_, data_, host_;
  std::string creds_;
  pid_t pid_ = -1;
};

}  // namespace berth::integration
