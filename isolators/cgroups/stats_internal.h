// Shared by the v1 and v2 statistics readers: reading the kernel's small file formats
// (one number, "key value" lines, "maj:min ..." lines) where a missing file is no error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "isolators/cgroups/stats.h"

namespace berth::cgroups {

// The file's text, or nullopt when the file does not exist.
Result<std::optional<std::string>> read_if_present(const std::string& dir, std::string_view file);
// A file holding one number ("max" reads as kUnlimited); nullopt when absent.
Result<std::optional<uint64_t>> read_number(const std::string& dir, std::string_view file);
// A flat keyed file ("key value" per line: memory.stat, cpu.stat, memory.events);
// empty when absent.
Result<std::map<std::string, uint64_t>> read_keyed(const std::string& dir, std::string_view file);
// Whitespace-separated fields of one line.
std::vector<std::string_view> fields_of(std::string_view line);
// "8:16" as major and minor; false when it is not that.
bool parse_device(std::string_view text, uint64_t& major, uint64_t& minor);
// The value of `key` in a keyed file's map, if there.
std::optional<uint64_t> value_of(const std::map<std::string, uint64_t>& map, const std::string& key);
// The page sizes ("2MB") of the hugetlb.<size><suffix> files in `dir`.
Result<std::vector<std::string>> hugetlb_page_sizes(const std::string& dir, std::string_view suffix);
// "path: problem" for a file whose contents are not what the kernel writes.
Error malformed(const std::string& dir, std::string_view file, std::string_view problem);

Result<Stats> read_stats_v1(const CgroupSet& set);
Result<Stats> read_stats_v2(const std::string& dir);

}  // namespace berth::cgroups
