// The isolators one engine runs, driven as one: prepare in order (undoing the ones already
// prepared when one refuses), cleanup in reverse order (every one, even after a failure).
// The engine talks to this and never to a particular isolator.
#pragma once

#include <memory>
#include <vector>

#include "isolators/isolator.h"

namespace berth::isolators {

class IsolatorSet {
 public:
  void add(std::unique_ptr<Isolator> isolator) { isolators_.push_back(std::move(isolator)); }
  [[nodiscard]] const std::vector<std::unique_ptr<Isolator>>& isolators() const { return isolators_; }

  Status recover(const std::vector<ContainerConfig>& known) const;
  // All or nothing: when one isolator refuses, those before it are cleaned up again.
  Status prepare(const ContainerConfig& c, LaunchAdditions& out) const;
  Status isolate(const ContainerConfig& c, pid_t pid) const;
  Status update(const ContainerConfig& c, const ResourceRequest& next) const;
  [[nodiscard]] Result<Usage> usage(const ContainerConfig& c) const;
  // The first limitation any isolator reports.
  [[nodiscard]] Result<std::optional<Limitation>> check(const ContainerConfig& c) const;
  // Every isolator's cleanup runs; the errors are joined into one.
  Status cleanup(const ContainerConfig& c) const;

 private:
  std::vector<std::unique_ptr<Isolator>> isolators_;
};

}  // namespace berth::isolators
