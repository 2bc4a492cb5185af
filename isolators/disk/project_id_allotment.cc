#include "isolators/disk/project_id_allotment.h"

#include <cerrno>

namespace berth::isolators::disk {

Result<uint32_t> ProjectIdAllotment::allot(const std::string& owner, const TakenOnDisk& taken_on_disk) {
  if (range_.first == 0 || range_.first > range_.last) {
    return Error(EINVAL, "project id range " + range_.to_string() + " is empty or holds 0");
  }
  const uint64_t size = uint64_t{range_.last} - range_.first + 1;
  uint32_t id = range_.contains(next_) ? next_ : range_.first;
  for (uint64_t tried = 0; tried < size; ++tried, id = id == range_.last ? range_.first : id + 1) {
    if (held_.contains(id)) continue;
    if (taken_on_disk) {
      BERTH_ASSIGN(bool taken, taken_on_disk(id));
      if (taken) continue;
    }
    held_.emplace(id, owner);
    next_ = id == range_.last ? range_.first : id + 1;
    return id;
  }
  return Error(ENOSPC, "no free project id in " + range_.to_string() + " for " + owner);
}

Status ProjectIdAllotment::adopt(uint32_t id, const std::string& owner) {
  if (!range_.contains(id)) {
    return Error(ERANGE, "project id " + std::to_string(id) + " of " + owner + " is outside " + range_.to_string());
  }
  auto [it, inserted] = held_.emplace(id, owner);
  if (!inserted && it->second != owner) {
    return Error(EEXIST, "project id " + std::to_string(id) + " of " + owner + " is held by " + it->second);
  }
  return ok();
}

std::optional<std::string> ProjectIdAllotment::owner_of(uint32_t id) const {
  auto it = held_.find(id);
  if (it == held_.end()) return std::nullopt;
  return it->second;
}

}  // namespace berth::isolators::disk
