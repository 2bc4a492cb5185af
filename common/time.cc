#include "common/time.h"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <utility>

#include "common/strings.h"

namespace berth {

std::string rfc3339_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  ::gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  size_t n = ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  ::snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return buf;
}

namespace {

// The unit at the start of `s` and its length in bytes; {0, 0} when there is none.
std::pair<uint64_t, size_t> duration_unit(std::string_view s) {
  constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ns", 1},       {"us", 1000},         {"\xC2\xB5s", 1000},      {"\xCE\xBCs", 1000},
      {"ms", 1000000}, {"s", 1000000000ULL}, {"m", 60'000'000'000ULL}, {"h", 3'600'000'000'000ULL},
  };
  for (const auto& [name, ns] : kUnits) {  // two-letter units first: "ms" is not "m"
    if (starts_with(s, name)) return {ns, name.size()};
  }
  return {0, 0};
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return std::nullopt;
  uint64_t total = 0;
  while (!s.empty()) {
    size_t whole_len = 0;
    while (whole_len < s.size() && s[whole_len] >= '0' && s[whole_len] <= '9') ++whole_len;
    std::string_view whole_text = s.substr(0, whole_len);
    std::string_view frac_text;
    size_t len = whole_len;
    if (len < s.size() && s[len] == '.') {
      size_t frac_end = len + 1;
      while (frac_end < s.size() && s[frac_end] >= '0' && s[frac_end] <= '9') ++frac_end;
      frac_text = s.substr(len + 1, frac_end - len - 1);
      len = frac_end;
    }
    if (whole_text.empty() && frac_text.empty()) return std::nullopt;
    auto [unit, unit_len] = duration_unit(s.substr(len));
    if (unit == 0) return std::nullopt;
    uint64_t whole = whole_text.empty() ? 0 : parse_uint(whole_text).value_or(UINT64_MAX);
    uint64_t part = 0;
    if (whole == UINT64_MAX || __builtin_mul_overflow(whole, unit, &part)) return std::nullopt;
    // The fraction in the unit's nanoseconds, rounded down (Go keeps what fits, too).
    long double frac = 0;
    long double place = 1;
    for (char digit : frac_text) frac += (digit - '0') * (place /= 10);
    if (__builtin_add_overflow(part, static_cast<uint64_t>(frac * static_cast<long double>(unit)), &part) ||
        __builtin_add_overflow(total, part, &total) || total > static_cast<uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    s.remove_prefix(len + unit_len);
  }
  auto ns = static_cast<int64_t>(total);
  return std::chrono::nanoseconds(negative ? -ns : ns);
}

}  // namespace berth
