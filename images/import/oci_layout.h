// Import of an OCI image layout directory (oci-layout, index.json, blobs/<alg>/<hex>), as
// skopeo, umoci and buildah write it, into the content store.
#pragma once

#include <string>

#include "common/result.h"
#include "images/import/image_import.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images {

// Imports the image `options.ref` of the layout at `dir` (the only one when ref is empty;
// entries with platforms are chosen from by options.platform) and saves its record under
// options.name. On failure the store holds nothing new.
Result<ImageRecord> import_oci_layout(ContentStore& store, const std::string& dir, const ImportOptions& options);

}  // namespace berth::images
