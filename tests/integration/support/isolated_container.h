// A busybox container run the way the engine runs one under isolators: prepare() edits the
// bundle's config.json, `berth-oci create` makes it, isolate() gets its init pid before the
// user's process runs, `start` lets it go. Test code only; the BundleFixture force-deletes
// the container and the isolators' cleanup() runs when this goes out of scope.
#pragma once

#include <chrono>
#include <string>

#include "isolators/isolator_set.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {

class IsolatedContainer {
 public:
  // A container of `fx` with id `id` (cgroup /berth/<id>) asking `resources`.
  IsolatedContainer(BundleFixture& fx, isolators::IsolatorSet& set, const std::string& id,
                    isolators::ResourceRequest resources);
  ~IsolatedContainer();
  IsolatedContainer(const IsolatedContainer&) = delete;
  IsolatedContainer& operator=(const IsolatedContainer&) = delete;

  // prepare + config.json + create + isolate; "" on success, else what failed.
  std::string create();
  RunResult start();
  // Polls `state` until the container has stopped; false after `timeout`.
  bool wait_stopped(std::chrono::milliseconds timeout);

  [[nodiscard]] const isolators::ContainerConfig& config() const { return config_; }
  [[nodiscard]] int pid() const { return pid_; }

 private:
  BundleFixture& fx_;
  isolators::IsolatorSet& set_;
  isolators::ContainerConfig config_;
  int pid_ = -1;
  bool prepared_ = false;
};

}  // namespace berth::integration
