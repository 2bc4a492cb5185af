// parse_cdi_spec and parse_cdi_name: a CDI spec's YAML (or JSON) tree walked into CdiSpec,
// every error naming the field by its path.
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <set>
#include <utility>

#include "common/strings.h"
#include "isolators/gpu/cdi.h"

namespace berth::gpu {
namespace {

// A node of the document and its path ("devices[0].containerEdits.env[1]").
class Field {
 public:
  Field(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  [[nodiscard]] Error error(std::string_view problem) const {
    return Error(EINVAL, (path_.empty() ? std::string("(root)") : path_) + ": " + std::string(problem));
  }

  // The member `key` of a map; nullopt when absent or null.
  [[nodiscard]] std::optional<Field> get(std::string_view key) const {
    if (!node_.IsMap()) return std::nullopt;
    const YAML::Node& self = node_;
    YAML::Node child = self[std::string(key)];
    if (!child.IsDefined() || child.IsNull()) return std::nullopt;
    return Field(child, path_.empty() ? std::string(key) : path_ + "." + std::string(key));
  }

  [[nodiscard]] Result<std::string> text() const {
    if (!node_.IsScalar()) return error("must be a string");
    return node_.Scalar();
  }

  // A whole number: decimal, or octal written 0o644 or 0644 (YAML 1.1, as Go's CDI reads it).
  [[nodiscard]] Result<int64_t> integer() const {
    BERTH_ASSIGN(std::string s, text());
    std::optional<int64_t> v;
    if (s.starts_with("0o") || (s.size() > 1 && s[0] == '0')) {
      std::string_view digits = std::string_view(s).substr(s[1] == 'o' ? 2 : 1);
      int64_t n = 0;
      bool good = !digits.empty() && digits.size() < 21;
      for (char c : digits) {
        good = good && c >= '0' && c <= '7';
        n = n * 8 + (c - '0');
      }
      if (good) v = n;
    } else {
      v = parse_int(s);
    }
    if (!v) return error("\"" + s + "\" is not a whole number");
    return *v;
  }

  [[nodiscard]] Result<uint32_t> uint32() const {
    BERTH_ASSIGN(int64_t v, integer());
    if (v < 0 || v > UINT32_MAX) return error(std::to_string(v) + " is out of range");
    return static_cast<uint32_t>(v);
  }

  [[nodiscard]] Result<std::vector<Field>> items() const {
    if (!node_.IsSequence()) return error("must be a list");
    std::vector<Field> out;
    for (size_t i = 0; i < node_.size(); ++i) out.emplace_back(node_[i], path_ + "[" + std::to_string(i) + "]");
    return out;
  }

  [[nodiscard]] Result<std::vector<std::string>> texts() const {
    BERTH_ASSIGN(auto list, items());
    std::vector<std::string> out;
    for (const auto& f : list) {
      BERTH_ASSIGN(auto s, f.text());
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  YAML::Node node_;
  std::string path_;
};

Result<std::string> required_text(const Field& parent, std::string_view key) {
  auto f = parent.get(key);
  if (!f) return parent.error(std::string("\"") + std::string(key) + "\" is required");
  return f->text();
}

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Letters, digits and `extra`, starting and ending with a letter or digit.
bool is_cdi_word(std::string_view s, std::string_view extra) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool is_kind(std::string_view kind) {
  const auto slash = kind.find('/');
  if (slash == std::string_view::npos) return false;
  return is_cdi_word(kind.substr(0, slash), "-_.") && is_cdi_word(kind.substr(slash + 1), "-_.");
}

bool is_device_name(std::string_view name) { return is_cdi_word(name, "-_.:"); }

Status check_env(const Field& f, const std::string& entry) {
  const auto eq = entry.find('=');
  if (eq == std::string::npos || eq == 0) return f.error("\"" + entry + "\" is not NAME=value");
  return ok();
}

Result<CdiDeviceNode> parse_device_node(const Field& f) {
  CdiDeviceNode n;
  BERTH_ASSIGN(n.path, required_text(f, "path"));
  if (!n.path.starts_with("/")) return f.get("path")->error("\"" + n.path + "\" is not an absolute path");
  if (auto h = f.get("hostPath")) {
    BERTH_ASSIGN(n.host_path, h->text());
  }
  if (auto t = f.get("type")) {
    BERTH_ASSIGN(std::string type, t->text());
    if (type != "c" && type != "b" && type != "u" && type != "p")
      return t->error("\"" + type + "\" is not c, b, u or p");
    n.type = type[0];
  }
  if (auto m = f.get("major")) {
    BERTH_ASSIGN(n.major, m->integer());
  }
  if (auto m = f.get("minor")) {
    BERTH_ASSIGN(n.minor, m->integer());
  }
  if (auto m = f.get("fileMode")) {
    BERTH_ASSIGN(n.file_mode, m->uint32());
  }
  if (auto u = f.get("uid")) {
    BERTH_ASSIGN(n.uid, u->uint32());
  }
  if (auto g = f.get("gid")) {
    BERTH_ASSIGN(n.gid, g->uint32());
  }
  if (auto p = f.get("permissions")) {
    BERTH_ASSIGN(n.permissions, p->text());
    if (n.permissions.find_first_not_of("rwm") != std::string::npos) {
      return p->error("\"" + n.permissions + "\" is not a subset of rwm");
    }
  }
  return n;
}

Result<CdiMount> parse_mount(const Field& f) {
  CdiMount m;
  BERTH_ASSIGN(m.host_path, required_text(f, "hostPath"));
  BERTH_ASSIGN(m.container_path, required_text(f, "containerPath"));
  if (!m.container_path.starts_with("/")) {
    return f.get("containerPath")->error("\"" + m.container_path + "\" is not an absolute path");
  }
  if (auto o = f.get("options")) {
    BERTH_ASSIGN(m.options, o->texts());
  }
  if (auto t = f.get("type")) {
    BERTH_ASSIGN(m.type, t->text());
  }
  return m;
}

Result<CdiEdits> parse_edits(const Field& f) {
  CdiEdits e;
  if (auto env = f.get("env")) {
    BERTH_ASSIGN(auto entries, env->items());
    for (const auto& entry : entries) {
      BERTH_ASSIGN(auto s, entry.text());
      BERTH_TRY(check_env(entry, s));
      e.env.push_back(std::move(s));
    }
  }
  if (auto nodes = f.get("deviceNodes")) {
    BERTH_ASSIGN(auto list, nodes->items());
    for (const auto& n : list) {
      BERTH_ASSIGN(auto node, parse_device_node(n));
      e.device_nodes.push_back(std::move(node));
    }
  }
  if (auto mounts = f.get("mounts")) {
    BERTH_ASSIGN(auto list, mounts->items());
    for (const auto& m : list) {
      BERTH_ASSIGN(auto mount, parse_mount(m));
      e.mounts.push_back(std::move(mount));
    }
  }
  if (auto hooks = f.get("hooks")) {
    BERTH_ASSIGN(auto list, hooks->items());
    e.hooks = list.size();
  }
  return e;
}

Result<std::vector<CdiDevice>> parse_devices(const Field& spec) {
  auto devices = spec.get("devices");
  if (!devices) return spec.error("\"devices\" is required");
  BERTH_ASSIGN(auto list, devices->items());
  if (list.empty()) return devices->error("must name at least one device");
  std::vector<CdiDevice> out;
  std::set<std::string> seen;
  for (const auto& d : list) {
    CdiDevice device;
    BERTH_ASSIGN(device.name, required_text(d, "name"));
    if (!is_device_name(device.name)) {
      return d.get("name")->error("\"" + device.name + "\" is not a device name (letters, digits, - _ . :)");
    }
    if (!seen.insert(device.name).second) return d.get("name")->error("\"" + device.name + "\" is listed twice");
    if (auto edits = d.get("containerEdits")) {
      BERTH_ASSIGN(device.edits, parse_edits(*edits));
    }
    out.push_back(std::move(device));
  }
  return out;
}

Result<CdiSpec> parse_tree(const YAML::Node& root, const std::string& file) {
  const Field spec(root, "");
  if (!root.IsMap()) return spec.error("a CDI spec must be a map");
  CdiSpec out;
  out.file = file;
  BERTH_ASSIGN(out.version, required_text(spec, "cdiVersion"));
  const auto parts = split(out.version, '.');
  if (parts.size() != 3 || !parse_uint(parts[0]) || !parse_uint(parts[1]) || !parse_uint(parts[2])) {
    return spec.get("cdiVersion")->error("\"" + out.version + "\" is not a version (0.6.0)");
  }
  BERTH_ASSIGN(out.kind, required_text(spec, "kind"));
  if (!is_kind(out.kind)) return spec.get("kind")->error("\"" + out.kind + "\" is not vendor.com/class");
  BERTH_ASSIGN(out.devices, parse_devices(spec));
  if (auto edits = spec.get("containerEdits")) {
    BERTH_ASSIGN(out.edits, parse_edits(*edits));
  }
  return out;
}

}  // namespace

Result<CdiSpec> parse_cdi_spec(std::string_view text, const std::string& file) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    return parse_tree(root, file).context(file);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return Error(EINVAL, file + ": " + e.msg);
    return Error(EINVAL, file + ": line " + std::to_string(e.mark.line + 1) + ", column " +
                             std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return Error(EINVAL, file + ": " + e.what());
  }
}

Result<CdiName> parse_cdi_name(std::string_view qualified) {
  const auto eq = qualified.find('=');
  CdiName n;
  if (eq != std::string_view::npos) {
    n.kind = qualified.substr(0, eq);
    n.name = qualified.substr(eq + 1);
  }
  if (eq == std::string_view::npos || !is_kind(n.kind) || !is_device_name(n.name)) {
    return Error(EINVAL,
                 "CDI device \"" + std::string(qualified) + "\": not a fully qualified name (vendor.com/class=name)");
  }
  return n;
}

}  // namespace berth::gpu
