// `pull`: an image from a registry into the content store. The manifest (or the index and
// the manifest it selects for the platform) comes first; the config and the layers the
// store lacks are then downloaded in parallel into unnamed temporary files beside the store,
// and everything is ingested verified in one import transaction, so a failed pull leaves the
// store as it was. Ends in a saved image record named by the normalised reference.
#pragma once

#include <string>

#include "common/result.h"
#include "images/oci/platform.h"
#include "images/registry/registry_client.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images {

struct PullOptions {
  Platform platform = host_platform();
  registry::ProgressFn progress;  // per blob: bytes, total, rate
};

Result<ImageRecord> pull_image(ContentStore& store, registry::RegistryClient& client, const std::string& reference,
                               const PullOptions& options = {});

}  // namespace berth::images
