// The berth-oci commands: each parses its own flags and calls runtime/container.
#pragma once

#include <string>
#include <vector>

#include "cli/oci/args.h"
#include "common/result.h"

namespace berth::cli {

struct Globals {
  std::string root = "/run/berth-oci";
  bool systemd_cgroup = false;
};

// Runs `argv[begin]` as a command; returns the process exit code or an error.
Result<int> run_command(const Globals& g, const std::vector<std::string>& argv, size_t begin);
// Names of every command, for help text.
std::string usage_text();

// The one container id among a command's arguments; an error saying how many there were.
Result<std::string> one_id(const ParsedArgs& a, const char* command);

// "TERM", "SIGTERM", "term", "15" -> 15; "RTMIN+2" -> SIGRTMIN + 2. Anything else, and numbers
// outside 1..SIGRTMAX, are EINVAL.
Result<int> parse_signal(const std::string& text);

}  // namespace berth::cli
