// Importing images into the content store from outside sources (an OCI image layout, a
// `docker save` archive). Every blob is verified (digest and size) as it is ingested; an
// import that fails removes the blobs it added, so the store holds nothing new; one that
// succeeds ends in image records. It never unpacks a layer.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "images/oci/descriptor.h"
#include "images/oci/image_config.h"
#include "images/oci/manifest.h"
#include "images/oci/platform.h"
#include "images/store/content_store.h"
#include "images/store/image_record.h"

namespace berth::images {

struct ImportOptions {
  // The name to record ("busybox" is saved as "docker.io/library/busybox:latest"). An OCI
  // layout needs one; a docker-archive falls back to its RepoTags.
  std::string name;
  // The image inside an OCI layout: its org.opencontainers.image.ref.name ("latest"). May be
  // empty when the layout holds one image (or one multi-platform set).
  std::string ref;
  // Which manifest to take from an index.
  Platform platform = host_platform();
};

// Opens the bytes of a blob of the source.
using BlobOpener = std::function<Result<ByteReader>(const Descriptor& descriptor)>;

// The blobs one import added; unless commit() is called they are removed again. It holds
// the store's lock shared (prune waits); a rollback turns it exclusive, so that every other
// import has finished, and then keeps the blobs that an image record references by then
// (another import that found them present and skipped them).
class ImportTransaction {
 public:
  ImportTransaction(ContentStore& store, StoreLock lock) : store_(store), lock_(std::move(lock)) {}
  ~ImportTransaction();
  ImportTransaction(const ImportTransaction&) = delete;
  ImportTransaction& operator=(const ImportTransaction&) = delete;
  ImportTransaction(ImportTransaction&&) = delete;
  ImportTransaction& operator=(ImportTransaction&&) = delete;

  // Ingests the blob `d` describes from `opener`, verified, unless the store has it.
  Status ingest(const Descriptor& d, const BlobOpener& opener);
  // Stores a document berth made itself (a manifest for a docker-archive).
  Result<Digest> put(std::string_view data);
  void commit() { added_.clear(); }

 private:
  void roll_back();

  ContentStore& store_;
  StoreLock lock_;
  std::vector<Digest> added_;
};

// Ingests the image `top` points at (a manifest, or an index from which `platform` picks
// one) with its config and layers, and returns its record (named `name`, not saved).
Result<ImageRecord> ingest_image(ImportTransaction& tx, const ContentStore& store, const Descriptor& top,
                                 const BlobOpener& opener, const Platform& platform, const std::string& name);

// The record of a stored manifest: config, layers with diff_ids and chain IDs.
Result<ImageRecord> record_for_manifest(const ContentStore& store, const Descriptor& manifest, const std::string& name);
// The same from a manifest and its config already parsed (a pull that has not stored them yet).
Result<ImageRecord> record_from(const Descriptor& manifest_desc, const Manifest& manifest, const ImageConfig& config,
                                const std::string& name);

// "busybox" -> "docker.io/library/busybox:latest"; errors name the reference.
Result<std::string> normalised_name(const std::string& name);

}  // namespace berth::images
