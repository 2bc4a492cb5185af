// Export of images from the content store: a docker-archive (what `docker save` writes and
// `docker load` / `podman load` read) and an OCI image layout, as a directory or as a tar.
// Output is streamed (no layer is held in memory) into a temp file or directory beside the
// target and renamed onto it only when complete: on failure nothing is left under the
// target's name. The store is only read, under its shared lock, so a prune cannot remove a
// blob mid-export.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images {

enum class OciLayoutForm { kDirectory, kTar };

// Writes `images` as an OCI image layout at `target` (a new or empty directory, or a tar
// file that is replaced). Blobs are copied as stored (compressed layers stay compressed);
// index.json names each image's manifest with org.opencontainers.image.ref.name set to the
// tag of its record's name ("latest" for "docker.io/library/busybox:latest"): two images
// with the same tag are refused. The manifests of a multi-platform index are not exported,
// only the one each record chose.
Status export_oci_layout(const ContentStore& store, const std::vector<ImageRecord>& images, const std::string& target,
                         OciLayoutForm form);

// Writes `images` as a docker-archive tar at `target` (replaced when it exists): manifest.json
// ([{Config, RepoTags, Layers}]), each config as <hex>.json, each layer uncompressed as
// <diff_id hex>.tar (so its digest is its diff_id, checked while it is written), and the
// legacy `repositories` file. Records of the same image share one manifest.json entry.
Status export_docker_archive(const ContentStore& store, const std::vector<ImageRecord>& images,
                             const std::string& target);

}  // namespace berth::images
