#include "runtime/oci/state.h"

#include <rapidjson/prettywriter.h>

#include <array>
#include <utility>

#include "common/json.h"
#include "runtime/oci/spec_parse_internal.h"

namespace berth::oci {
namespace {

constexpr std::array<std::string_view, 4> kStatuses{"creating", "created", "running", "stopped"};

// One body for both writers: rapidjson's Writer and PrettyWriter share no base class.
template <typename Writer>
void write_state(Writer& w, const State& state) {
  auto key = [&w](std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); };
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  key("ociVersion");
  str(state.oci_version);
  key("id");
  str(state.id);
  key("status");
  str(state.status);
  key("pid");
  w.Int(state.pid);
  key("bundle");
  str(state.bundle);
  if (!state.annotations.empty()) {
    key("annotations");
    w.StartObject();
    for (const auto& [k, v] : state.annotations) {
      key(k);
      str(v);
    }
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

std::string state_to_json(const State& state, bool pretty) {
  rapidjson::StringBuffer buf;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    write_state(w, state);
  } else {
    JsonWriter w(buf);
    write_state(w, state);
  }
  return {buf.GetString(), buf.GetSize()};
}

Result<State> parse_state(std::string_view json) {
  BERTH_ASSIGN(JsonDocument doc, JsonDocument::parse(json, "state"));
  JsonNode root(doc);
  BERTH_TRY(detail::expect_object(root));
  State state;
  BERTH_TRY(detail::read_required(root, "ociVersion", state.oci_version));
  BERTH_TRY(detail::read_required(root, "id", state.id));
  if (state.id.empty()) return root.field("id")->error("must not be empty");
  BERTH_TRY(detail::read_required(root, "status", state.status));
  if (!detail::one_of(kStatuses, state.status)) {
    return root.field("status")->error("unknown status " + detail::quoted(state.status));
  }
  BERTH_TRY(detail::read_field(root, "pid", state.pid));
  if (state.pid < 0) return root.field("pid")->error("must not be negative");
  BERTH_TRY(detail::read_required(root, "bundle", state.bundle));
  BERTH_TRY(detail::read_string_map(root, "annotations", state.annotations));
  return state;
}

}  // namespace berth::oci
