// Rendering an ACI's root file system the AppC way: its dependencies (recursively, each
// one's own dependencies first) placed down in manifest order, the image itself on top,
// each ACI exactly once; the result is a list of snapshot layers, one per ACI (its rootfs/
// as the layer root), shared by every image that uses it. Dependencies come from the
// store (by imageID, else by name and labels) or from a fetcher (discovery). Never mounts.
#pragma once

#include <functional>
#include <vector>

#include "common/result.h"
#include "images/appc/aci_store.h"
#include "images/snapshot/snapshotter.h"

namespace berth::images::appc {

// Gets a dependency the store lacks (discovery, then import); unset: missing is an error.
using DependencyFetcher = std::function<Result<AciImage>(const Dependency& dependency)>;

// The images that make up `top`'s root, bottom first, `top` last.
Result<std::vector<AciImage>> resolve_render_order(ContentStore& store, const AciImage& top,
                                                   const DependencyFetcher& fetch = {});

// The snapshot layer of one stored ACI; it reads the blob from `store`, which must outlive it.
LayerSource layer_source(const ContentStore& store, const AciImage& image);

// One layer per image of `order` and, above each image with a pathWhitelist, a layer of
// whiteouts that hides what is below it and not whitelisted (the layers beneath are
// unpacked through `snapshots` to see what they hold).
Result<std::vector<LayerSource>> render_layers(const ContentStore& store, Snapshotter& snapshots,
                                               const std::vector<AciImage>& order);

}  // namespace berth::images::appc
