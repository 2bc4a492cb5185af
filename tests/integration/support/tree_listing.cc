#include "tests/integration/support/tree_listing.h"

#include <sys/xattr.h>

#include <algorithm>
#include <vector>

#include "common/file.h"
#include "common/strings.h"
#include "tests/integration/support/fixture.h"

namespace berth::integration {
namespace {

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t pos = 0, nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    lines.push_back(text.substr(pos, nl - pos));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The xattrs of one path as "path name=hex" lines, by name (the kernel lists them in the
// order they were set, which the layer does not decide).
std::string path_xattrs(const std::string& path, const std::string& shown) {
  std::string names(65536, '\0');
  ssize_t n = ::llistxattr(path.c_str(), names.data(), names.size());
  if (n <= 0) return {};
  std::vector<std::string> sorted;
  for (size_t pos = 0; pos < static_cast<size_t>(n); pos = names.find('\0', pos) + 1) {
    sorted.emplace_back(names.c_str() + pos);
  }
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (const std::string& name : sorted) {
    std::string value(65536, '\0');
    ssize_t len = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    value.resize(len < 0 ? 0 : static_cast<size_t>(len));
    out.append(shown)
        .append(" ")
        .append(name)
        .append("=")
        .append(hex_encode(std::span(reinterpret_cast<const uint8_t*>(value.data()), value.size())))
        .append("\n");
  }
  return out;
}

}  // namespace

std::string tree_listing(const std::string& dir, bool with_mtime) {
  std::string format = with_mtime ? "%P %y %m %U:%G %s %l %TY%Tm%Td%TH%TM%TS\\n" : "%P %y %m %U:%G %s %l\\n";
  RunResult r =
      run_cmd({"sh", "-c", "cd '" + dir + "' && find . -mindepth 1 -printf '" + format + "' | LC_ALL=C sort"});
  EXPECT_TRUE(r.ok()) << r;
  std::string out;
  for (size_t pos = 0, nl; (nl = r.out.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    std::string line = r.out.substr(pos, nl - pos);
    size_t d = line.find(" d ");
    if (d != std::string::npos) {
      size_t owner_end = line.find(' ', line.find(' ', d + 3) + 1);
      size_t size_end = line.find(' ', owner_end + 1);
      line.replace(owner_end + 1, size_end - owner_end - 1, "-");
    }
    out += line + "\n";
  }
  return out;
}

std::string content_listing(const std::string& dir) {
  RunResult r = run_cmd(
      {"sh", "-c", "cd '" + dir + R"(' && find . -type f -printf '%n ' -exec sha256sum {} \; | LC_ALL=C sort -k3)"}, {},
      std::chrono::seconds(120));
  EXPECT_TRUE(r.ok()) << r;
  return r.out;
}

std::string xattr_listing(const std::string& dir) {
  RunResult paths = run_cmd({"sh", "-c", "cd '" + dir + "' && find . -print0 | LC_ALL=C sort -z | tr '\\0' '\\n'"});
  EXPECT_TRUE(paths.ok()) << paths;
  std::string out;
  for (const std::string& p : sorted_lines(paths.out)) out += path_xattrs(path_join(dir, p), p);
  return out;
}

}  // namespace berth::integration
