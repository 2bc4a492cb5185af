// What an integration test reads back once berth-oci has acted: a container's state, whether
// a process is alive, lines and fields of what a container printed, and polling until a
// condition holds. Test code only: it reads, never changes anything.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/fixture.h"

namespace berth::integration {

// Polls `done` every 10 ms until it holds or `timeout` passes; returns its last answer.
template <typename Condition>
bool eventually(Condition done, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// `text` parsed as JSON; check HasParseError().
rapidjson::Document parse_json(const std::string& text);

// The container's status from `state`, or "" when state fails.
std::string status_of(BundleFixture& fx, const std::string& id);
// The container's pid from `state`, or -1 when state fails.
int pid_of(BundleFixture& fx, const std::string& id);

// Alive and not a zombie (an exited init waits for the host's pid 1 to reap it).
bool process_exists(int pid);

// The lines of `text`, trimmed, without the empty ones.
std::vector<std::string> lines_of(const std::string& text);

// The value of "Name:\t..." in /proc/<pid>/status text; "" when there is no such line.
std::string status_field(const std::string& status, const std::string& name);

}  // namespace berth::integration
