// Hands out XFS project ids from a configured range, one per container, in memory. It must
// never hand out an id that is held, or that the file system still counts files for (the
// caller says which through `taken_on_disk`): two containers sharing an id share a quota.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"

namespace berth::isolators::disk {

// Inclusive; 0 is every file's default project and is never in a valid range.
struct ProjectIdRange {
  uint32_t first = 1000000;
  uint32_t last = 1999999;
  [[nodiscard]] bool contains(uint32_t id) const { return id != 0 && id >= first && id <= last; }
  [[nodiscard]] std::string to_string() const { return std::to_string(first) + "-" + std::to_string(last); }
};

class ProjectIdAllotment {
 public:
  // Whether the file system still has files or limits under an id nobody here holds.
  using TakenOnDisk = std::function<Result<bool>(uint32_t id)>;

  explicit ProjectIdAllotment(ProjectIdRange range) : range_(range), next_(range.first) {}

  // A free id for `owner`: the first after the last one handed out that is neither held nor
  // taken on disk, wrapping around the range once (so a just-released id, whose files may
  // still be going, is the last to come back). ENOSPC when there is none.
  Result<uint32_t> allot(const std::string& owner, const TakenOnDisk& taken_on_disk = {});
  // Records that `owner` holds `id` (after a restart). Refused outside the range or when
  // another owner holds it.
  Status adopt(uint32_t id, const std::string& owner);
  void release(uint32_t id) { held_.erase(id); }

  [[nodiscard]] std::optional<std::string> owner_of(uint32_t id) const;
  [[nodiscard]] const ProjectIdRange& range() const { return range_; }

 private:
  ProjectIdRange range_;
  uint32_t next_;
  std::map<uint32_t, std::string> held_;
};

}  // namespace berth::isolators::disk
