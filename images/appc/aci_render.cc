#include "images/appc/aci_render.h"

#include <cerrno>
#include <set>

#include "images/appc/path_whitelist.h"

namespace berth::images::appc {
namespace {

constexpr int kMaxDepth = 32;

Status check_resolved(const Dependency& dep, const AciImage& image) {
  if (image.manifest.name != dep.image_name) {
    return Error(EINVAL, image.id_text() + " is named \"" + image.manifest.name + "\"");
  }
  if (!dep.image_id.empty() && !image_id_matches(dep.image_id, image.id)) {
    return Error(EBADMSG, "found " + image.id_text() + ", the dependency wants sha512-" + dep.image_id);
  }
  // With an imageID the hash decides; without one the labels must match (aci.md).
  if (dep.image_id.empty() && !labels_match(dep.labels, image.manifest.labels)) {
    return Error(EINVAL, image.id_text() + ": its labels do not match the dependency's");
  }
  return ok();
}

Result<std::optional<AciImage>> from_store(const ContentStore& store, const Dependency& dep) {
  if (dep.image_id.empty()) return find_aci(store, dep.image_name, dep.labels);
  auto found = find_aci_by_id(store, "sha512-" + dep.image_id);
  if (!found && found.error().code() == ENOENT) return std::optional<AciImage>();
  if (!found) return std::move(found).error();
  return std::optional<AciImage>(std::move(*found));
}

Result<AciImage> resolve_dependency(ContentStore& store, const Dependency& dep, const DependencyFetcher& fetch) {
  BERTH_ASSIGN(std::optional<AciImage> stored, from_store(store, dep));
  if (!stored && !fetch) return Error(ENOENT, "not in the store (and no discovery was allowed)");
  if (!stored) {
    BERTH_ASSIGN(AciImage fetched, fetch(dep));
    stored = std::move(fetched);
  }
  BERTH_TRY(check_resolved(dep, *stored));
  return std::move(*stored);
}

class RenderOrder {
 public:
  RenderOrder(ContentStore& store, const DependencyFetcher& fetch) : store_(store), fetch_(fetch) {}

  Status add(const AciImage& image, int depth) {
    if (placed_.contains(image.id)) return ok();
    if (depth > kMaxDepth) return Error(ELOOP, "dependencies nested deeper than " + std::to_string(kMaxDepth));
    if (!in_progress_.insert(image.id).second) {
      return Error(ELOOP, image.id_text() + " (" + image.manifest.name + ") depends on itself");
    }
    const auto& deps = image.manifest.dependencies;
    for (size_t i = 0; i < deps.size(); ++i) {
      std::string what =
          image.manifest.name + ": dependencies[" + std::to_string(i) + "] \"" + deps[i].image_name + "\"";
      BERTH_ASSIGN(AciImage dep, resolve_dependency(store_, deps[i], fetch_).context(what));
      BERTH_TRY(add(dep, depth + 1).context(what));
    }
    in_progress_.erase(image.id);
    placed_.insert(image.id);
    order_.push_back(image);
    return ok();
  }

  std::vector<AciImage> take() { return std::move(order_); }

 private:
  ContentStore& store_;
  const DependencyFetcher& fetch_;
  std::set<Digest> placed_;
  std::set<Digest> in_progress_;
  std::vector<AciImage> order_;
};

}  // namespace

Result<std::vector<AciImage>> resolve_render_order(ContentStore& store, const AciImage& top,
                                                   const DependencyFetcher& fetch) {
  RenderOrder order(store, fetch);
  BERTH_TRY(order.add(top, 0).context("render " + top.id_text()));
  return order.take();
}

LayerSource layer_source(const ContentStore& store, const AciImage& image) {
  const LayerRecord& layer = image.record.layers.at(0);
  return LayerSource{.chain_id = layer.chain_id.str(),
                     .diff_id = layer.diff_id.str(),
                     .open_blob = [&store, d = layer.digest] { return store.open_blob(d); },
                     .media_type = "",  // the blob is the plain tar, whatever the ACI file was
                     .root_prefix = std::string(kRootfsDir)};
}

Result<std::vector<LayerSource>> render_layers(const ContentStore& store, Snapshotter& snapshots,
                                               const std::vector<AciImage>& order) {
  std::vector<LayerSource> layers;
  for (const AciImage& image : order) {
    layers.push_back(layer_source(store, image));
    if (image.manifest.path_whitelist.empty()) continue;
    BERTH_ASSIGN(LayerSource hide, whitelist_layer(snapshots, layers, image.manifest.path_whitelist)
                                       .context("pathWhitelist of " + image.id_text()));
    layers.push_back(std::move(hide));
  }
  return layers;
}

}  // namespace berth::images::appc
