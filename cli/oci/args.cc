#include "cli/oci/args.h"

namespace berth::cli {
namespace {

const FlagSpec* find_flag(const std::vector<FlagSpec>& flags, const std::string& name) {
  for (const auto& f : flags) {
    if (f.name == name || (!f.alias.empty() && f.alias == name)) return &f;
  }
  return nullptr;
}

// A boolean flag's "=value" as Go's strconv.ParseBool reads it (urfave/cli's rule), as
// "true" or "false"; a bare boolean flag is "true".
Result<std::string> boolean_value(const std::string& flag, const std::string& value) {
  for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (value == yes) return std::string("true");
  }
  for (const char* no : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (value == no) return std::string("false");
  }
  return Error(EINVAL, "invalid boolean value \"" + value + "\" for -" + flag + ": parse error");
}

}  // namespace

bool ParsedArgs::has(const std::string& name) const { return values.count(name) != 0; }

std::string ParsedArgs::get(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

bool ParsedArgs::flag(const std::string& name) const { return get(name) == "true"; }

Result<ParsedArgs> parse_args(const std::vector<std::string>& argv, size_t begin, const std::vector<FlagSpec>& flags,
                              bool stop_at_positional, size_t* consumed) {
  ParsedArgs out;
  size_t i = begin;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (stop_at_positional || consumed != nullptr) break;
      out.positional.push_back(a);
      continue;
    }
    std::string body = a.substr(a[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (auto eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
      has_value = true;
    }
    const FlagSpec* spec = find_flag(flags, body);
    if (spec == nullptr) return Error(EINVAL, "flag provided but not defined: -" + body);
    if (spec->takes_value && !has_value) {
      if (i + 1 >= argv.size()) return Error(EINVAL, "flag needs an argument: -" + body);
      value = argv[++i];
      has_value = true;
    }
    if (!spec->takes_value) {
      BERTH_ASSIGN(value, has_value ? boolean_value(body, value) : std::string("true"));
    }
    out.values[spec->name].push_back(value);
  }
  if (consumed != nullptr) {
    *consumed = i;
    return out;
  }
  for (; i < argv.size(); ++i) out.positional.push_back(argv[i]);
  return out;
}

}  // namespace berth::cli
