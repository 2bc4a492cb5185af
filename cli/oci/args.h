// A small command-line parser with runc's (urfave/cli) habits: global flags before the
// command, "--flag value", "--flag=value", "-flag value", short aliases, repeatable flags.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::cli {

struct FlagSpec {
  std::string name;   // "bundle"
  std::string alias;  // "b" or ""
  bool takes_value = false;
};

struct ParsedArgs {
  std::map<std::string, std::vector<std::string>> values;  // flag name -> every value given
  std::vector<std::string> positional;
  [[nodiscard]] bool has(const std::string& name) const;
  [[nodiscard]] std::string get(const std::string& name, const std::string& fallback = {}) const;
  [[nodiscard]] std::vector<std::string> all(const std::string& name) const;
  // A boolean flag: the last of "--x", "--x=true", "--x=false" (and Go's other spellings) wins.
  [[nodiscard]] bool flag(const std::string& name) const;
};

// Parses argv[begin..) against `flags`. With stop_at_positional, everything after the first
// positional argument is positional (the command of `exec`, the command line of `ps`).
Result<ParsedArgs> parse_args(const std::vector<std::string>& argv, size_t begin, const std::vector<FlagSpec>& flags,
                              bool stop_at_positional, size_t* consumed = nullptr);

}  // namespace berth::cli
