// Import of a docker-archive (`docker save`, `skopeo copy ... docker-archive:`): a tar with
// manifest.json ([{Config, RepoTags, Layers}]), the image configs and the layer tars
// (uncompressed, or gzip/zstd). berth writes an OCI manifest for each image, so the store
// and its records look the same as for any other import.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "images/import/image_import.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images {

// Imports every image of the archive at `path` and saves a record per name: options.name
// when given (the archive must then hold one image), else each of its RepoTags. An
// uncompressed layer must hash to its diff_id; a file named by a digest (<hex>.json,
// blobs/sha256/<hex>) must hash to it. On failure the store holds nothing new.
Result<std::vector<ImageRecord>> import_docker_archive(ContentStore& store, const std::string& path,
                                                       const ImportOptions& options);

}  // namespace berth::images
