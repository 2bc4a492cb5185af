// `pull`: an image from a registry into the content store. The manifest (or the index and
// the manifest it selects for the platform) comes first; the config and the layers the
// store lacks are then downloaded in parallel into unnamed temporary files beside the store,
// and everything is ingested verified in one import transaction, so a failed pull leaves the
// store as it was. Ends in a saved image record named by the normalised reference. Layers
// can be handed on (to be unpacked) as soon as each is downloaded, before the import.
#pragma once

#include <functional>
#include <string>

#include "common/fd.h"
#include "common/result.h"
#include "images/oci/platform.h"
#include "images/registry/registry_client.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images {

// Reads a downloaded layer blob from its start.
using OpenBlobFn = std::function<Result<UniqueFd>()>;
// A layer the store lacked is downloaded and verified; `open_blob` works until pull_image returns.
using LayerReadyFn = std::function<Status(const LayerRecord& layer, const OpenBlobFn& open_blob)>;

struct PullOptions {
  Platform platform = host_platform();
  registry::ProgressFn progress;  // per blob: bytes, total, rate
  // Called on a download thread as each missing layer arrives, so a snapshotter can unpack
  // it while the others are still downloading (layers in parallel, as many as
  // parallel_blobs); its error fails the pull. When set, the config is fetched before the
  // layers (one more round trip) to know their diff_ids and chain IDs.
  LayerReadyFn layer_ready;
};

Result<ImageRecord> pull_image(ContentStore& store, registry::RegistryClient& client, const std::string& reference,
                               const PullOptions& options = {});

}  // namespace berth::images
