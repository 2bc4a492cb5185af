#include "isolators/isolator_set.h"

#include <string>

namespace berth::isolators {
namespace {

// "isolator NAME: message", so that the user sees which isolator failed.
Error named(const Isolator& i, const Error& e) { return e.context("isolator " + std::string(i.name())); }

}  // namespace

Status IsolatorSet::recover(const std::vector<ContainerConfig>& known) const {
  for (const auto& i : isolators_) {
    if (auto s = i->recover(known); !s) return named(*i, s.error());
  }
  return ok();
}

Status IsolatorSet::prepare(const ContainerConfig& c, LaunchAdditions& out) const {
  for (size_t n = 0; n < isolators_.size(); ++n) {
    auto s = isolators_[n]->prepare(c, out);
    if (s) continue;
    // Release what the earlier ones reserved; their errors would hide the refusal.
    for (size_t undo = n + 1; undo-- > 0;) (void)isolators_[undo]->cleanup(c);
    return named(*isolators_[n], s.error());
  }
  return ok();
}

Status IsolatorSet::isolate(const ContainerConfig& c, pid_t pid) const {
  for (const auto& i : isolators_) {
    if (auto s = i->isolate(c, pid); !s) return named(*i, s.error());
  }
  return ok();
}

Status IsolatorSet::update(const ContainerConfig& c, const ResourceRequest& next) const {
  for (const auto& i : isolators_) {
    if (auto s = i->update(c, next); !s) return named(*i, s.error());
  }
  return ok();
}

Result<Usage> IsolatorSet::usage(const ContainerConfig& c) const {
  Usage u;
  for (const auto& i : isolators_) {
    if (auto s = i->usage(c, u); !s) return named(*i, s.error());
  }
  return u;
}

Result<std::optional<Limitation>> IsolatorSet::check(const ContainerConfig& c) const {
  for (const auto& i : isolators_) {
    auto l = i->check(c);
    if (!l) return named(*i, l.error());
    if (*l) return l;
  }
  return std::optional<Limitation>{};
}

Status IsolatorSet::cleanup(const ContainerConfig& c) const {
  std::string errors;
  int code = 0;
  for (size_t n = isolators_.size(); n-- > 0;) {
    auto s = isolators_[n]->cleanup(c);
    if (s) continue;
    if (!errors.empty()) errors += "; ";
    errors += named(*isolators_[n], s.error()).message();
    code = s.error().code();
  }
  if (code != 0) return Error(code, "cleanup of container \"" + c.id + "\": " + errors);
  return ok();
}

}  // namespace berth::isolators
