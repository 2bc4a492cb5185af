#include "tests/integration/support/isolated_container.h"

#include <sstream>

#include "common/file.h"
#include "isolators/launch_additions.h"
#include "tests/integration/support/probes.h"

namespace berth::integration {

IsolatedContainer::IsolatedContainer(BundleFixture& fx, isolators::IsolatorSet& set, const std::string& id,
                                     isolators::ResourceRequest resources)
    : fx_(fx), set_(set) {
  config_.id = id;
  config_.cgroup = "/berth/" + id;
  config_.sandbox_dir = fx.dir();
  config_.resources = std::move(resources);
  fx.track(id);
}

IsolatedContainer::~IsolatedContainer() {
  if (prepared_) (void)set_.cleanup(config_);
}

std::string IsolatedContainer::create() {
  isolators::LaunchAdditions additions;
  if (auto s = set_.prepare(config_, additions); !s) return "prepare: " + s.error().message();
  prepared_ = true;
  auto text = read_file(fx_.config_path());
  if (!text) return text.error().message();
  auto merged = isolators::add_to_config(*text, additions);
  if (!merged) return merged.error().message();
  if (auto s = write_file(fx_.config_path(), *merged); !s) return s.error().message();
  RunResult r = fx_.berth_oci({"create", "--bundle", fx_.bundle(), config_.id});
  if (!r.ok()) {
    std::ostringstream msg;
    msg << r;
    return msg.str();
  }
  pid_ = pid_of(fx_, config_.id);
  if (pid_ <= 0) return "no pid in the state of " + config_.id;
  if (auto s = set_.isolate(config_, pid_); !s) return "isolate: " + s.error().message();
  return {};
}

RunResult IsolatedContainer::start() { return fx_.berth_oci({"start", config_.id}); }

bool IsolatedContainer::wait_stopped(std::chrono::milliseconds timeout) {
  return eventually([&] { return status_of(fx_, config_.id) == "stopped"; }, timeout);
}

}  // namespace berth::integration
