// The kernel's small file formats, the version switch, and the OOM kill counter.
#include "isolators/cgroups/stats.h"

#include "common/file.h"
#include "common/strings.h"
#include "isolators/cgroups/stats_internal.h"

namespace berth::cgroups {

Error malformed(const std::string& dir, std::string_view file, std::string_view problem) {
  return Error(EINVAL, path_join(dir, file) + ": " + std::string(problem));
}

Result<std::optional<std::string>> read_if_present(const std::string& dir, std::string_view file) {
  auto text = read_file(path_join(dir, file));
  if (!text) {
    if (text.error().code() == ENOENT) return std::optional<std::string>();
    return std::move(text).error();
  }
  return std::optional<std::string>(std::move(*text));
}

Result<std::optional<uint64_t>> read_number(const std::string& dir, std::string_view file) {
  BERTH_ASSIGN(auto text, read_if_present(dir, file));
  if (!text) return std::optional<uint64_t>();
  auto value = trim(*text);
  if (value == "max") return std::optional<uint64_t>(kUnlimited);
  auto n = parse_uint(value);
  if (!n) return malformed(dir, file, "\"" + std::string(value) + "\" is not a number");
  return std::optional<uint64_t>(*n);
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

Result<std::map<std::string, uint64_t>> read_keyed(const std::string& dir, std::string_view file) {
  std::map<std::string, uint64_t> out;
  BERTH_ASSIGN(auto text, read_if_present(dir, file));
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    auto fields = fields_of(line);
    if (fields.empty()) continue;
    std::optional<uint64_t> n;
    if (fields.size() == 2) n = fields[1] == "max" ? kUnlimited : parse_uint(fields[1]);
    if (!n) return malformed(dir, file, "line \"" + line + R"(" is not "key number")");
    out.insert_or_assign(std::string(fields[0]), *n);
  }
  return out;
}

bool parse_device(std::string_view text, uint64_t& major, uint64_t& minor) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  auto ma = parse_uint(text.substr(0, colon));
  auto mi = parse_uint(text.substr(colon + 1));
  if (!ma || !mi) return false;
  major = *ma;
  minor = *mi;
  return true;
}

std::optional<uint64_t> value_of(const std::map<std::string, uint64_t>& map, const std::string& key) {
  auto it = map.find(key);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<std::string>> hugetlb_page_sizes(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> sizes;
  BERTH_ASSIGN(auto names, list_dir(dir));
  constexpr std::string_view kPrefix = "hugetlb.";
  for (std::string_view name : names) {
    if (!starts_with(name, kPrefix) || name.size() <= kPrefix.size() + suffix.size() ||
        name.substr(name.size() - suffix.size()) != suffix) {
      continue;
    }
    sizes.emplace_back(name.substr(kPrefix.size(), name.size() - kPrefix.size() - suffix.size()));
  }
  return sizes;
}

Result<Stats> read_stats(const CgroupSet& set) {
  if (set.dirs().empty()) return Error(ENOENT, "read cgroup statistics: the container has no cgroups");
  const CgroupDir& first = set.dirs().front();
  auto stats = first.v2 ? read_stats_v2(first.path) : read_stats_v1(set);
  return std::move(stats).context("read cgroup statistics");
}

Result<uint64_t> oom_kill_count(const CgroupSet& set) {
  std::string dir;
  const char* file = "memory.events";
  if (!set.dirs().empty() && set.dirs().front().v2) {
    dir = set.dirs().front().path;
  } else {
    const CgroupDir* memory = set.v1_dir("memory");
    if (memory == nullptr) return Error(ENOENT, "count OOM kills: this host has no memory cgroup controller");
    dir = memory->path;
    file = "memory.oom_control";
  }
  if (!path_exists(path_join(dir, file))) return Error(ENOENT, "count OOM kills: " + path_join(dir, file) + " is gone");
  BERTH_ASSIGN(auto keyed, read_keyed(dir, file));
  auto kills = value_of(keyed, "oom_kill");
  // v1 gained the counter in Linux 4.13.
  if (!kills) return Error(ENOTSUP, "count OOM kills: " + path_join(dir, file) + " has no oom_kill line");
  return *kills;
}

}  // namespace berth::cgroups
