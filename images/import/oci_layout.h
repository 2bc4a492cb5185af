// Import of an OCI image layout (oci-layout, index.json, blobs/<alg>/<hex>), as skopeo, umoci
// and buildah write it, from a directory or a tar of one (`oci-archive:`), into the content store.
#pragma once

#include <string>

#include "common/result.h"
#include "images/import/image_import.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images {

// Imports the image `options.ref` of the layout at `path`, a directory or a tar (the only one when ref is empty;
// entries with platforms are chosen from by options.platform) and saves its record under
// options.name. On failure the store holds nothing new.
Result<ImageRecord> import_oci_layout(ContentStore& store, const std::string& path, const ImportOptions& options);

}  // namespace berth::images
