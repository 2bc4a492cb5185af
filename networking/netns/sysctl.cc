#include "networking/netns/sysctl.h"

#include <fcntl.h>

#include "common/file.h"
#include "common/strings.h"

namespace berth::networking {

Result<std::string> sysctl_path(std::string_view key) {
  const std::string quoted = "sysctl \"" + std::string(key) + "\"";
  const char sep = key.find('/') != std::string_view::npos ? '/' : '.';
  const std::vector<std::string> parts = split(key, sep);
  if (parts.size() < 2 || parts.front() != "net") {
    return Error(EINVAL, quoted + ": not a network sysctl (net.*): only those belong to a network namespace");
  }
  std::string path = "/proc/sys";
  for (const auto& part : parts) {
    if (part.empty() || part == "." || part == "..") return Error(EINVAL, quoted + ": malformed key");
    path += "/" + part;
  }
  return path;
}

Result<std::string> read_sysctl(const Netns& netns, std::string_view key) {
  const std::string what = "read sysctl " + std::string(key) + netns.where();
  auto path = sysctl_path(key);
  if (!path) return std::move(path).error().context("read");
  auto value = in_netns(netns, [&] { return read_file(*path); });
  if (!value) return std::move(value).error().context(what);
  while (!value->empty() && value->back() == '\n') value->pop_back();
  return value;
}

namespace {

// `where` names the namespace for the error message (empty: the caller's own).
Status write_key(std::string_view key, std::string_view value, const std::string& where) {
  auto path = sysctl_path(key);
  if (!path) return std::move(path).error().context("write");
  if (auto written = write_existing(*path, value); !written) {
    return std::move(written).error().context("write sysctl " + std::string(key) + "=" + std::string(value) + where);
  }
  return ok();
}

}  // namespace

Status write_sysctl(const Netns& netns, std::string_view key, std::string_view value) {
  return in_netns(netns, [&] { return write_key(key, value, netns.where()); });
}

Status write_sysctl_here(std::string_view key, std::string_view value) { return write_key(key, value, {}); }

}  // namespace berth::networking
