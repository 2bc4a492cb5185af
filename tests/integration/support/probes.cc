#include "tests/integration/support/probes.h"

#include <string_view>

#include "common/file.h"
#include "common/strings.h"

namespace berth::integration {

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  return d;
}

std::string status_of(BundleFixture& fx, const std::string& id) {
  RunResult r = fx.berth_oci({"state", id});
  if (!r.ok()) return "";
  auto d = parse_json(r.out);
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("status")) return "";
  return d["status"].GetString();
}

int pid_of(BundleFixture& fx, const std::string& id) {
  RunResult r = fx.berth_oci({"state", id});
  auto d = parse_json(r.out);
  if (!r.ok() || d.HasParseError() || !d.IsObject() || !d.HasMember("pid")) return -1;
  return d["pid"].GetInt();
}

bool process_exists(int pid) {
  if (pid <= 0) return false;
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  auto close = stat->rfind(')');
  return close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] != 'Z' &&
         (*stat)[close + 2] != 'X';
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  for (auto& l : split(text, '\n')) {
    if (!trim(l).empty()) out.emplace_back(trim(l));
  }
  return out;
}

std::string status_field(const std::string& status, const std::string& name) {
  for (const auto& l : split(status, '\n')) {
    if (starts_with(l, name + ":")) return std::string(trim(std::string_view(l).substr(name.size() + 1)));
  }
  return {};
}

}  // namespace berth::integration
