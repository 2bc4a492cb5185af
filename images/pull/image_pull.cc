#include "images/pull/image_pull.h"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>

#include "common/fd.h"
#include "common/file.h"
#include "common/path_beneath.h"
#include "images/import/image_import.h"
#include "images/oci/manifest.h"
#include "images/reference/reference.h"

namespace berth::images {
namespace {

// The blobs of one pull: manifests held as text, the rest in unnamed files on the store's
// file system (O_TMPFILE: nothing to clean up, whatever happens).
class Downloads {
 public:
  explicit Downloads(std::string dir) : dir_(std::move(dir)) {}

  void keep_text(const Digest& d, std::string text) { texts_[d.str()] = std::move(text); }

  // A request writing `d` into a fresh unnamed file (restarted on each try).
  Result<registry::BlobRequest> request(const Descriptor& d) {
    UniqueFd fd(::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (!fd) return Error::from_errno("open a temporary file in " + dir_ + " for " + d.digest.str());
    const int raw = fd.get();
    files_[d.digest.str()] = std::move(fd);
    registry::BlobRequest r;
    r.digest = d.digest.str();
    r.size = d.size;
    r.restart = [raw, digest = r.digest]() -> Status {
      if (::ftruncate(raw, 0) != 0 || ::lseek(raw, 0, SEEK_SET) != 0) {
        return Error::from_errno("start over the download of " + digest);
      }
      return ok();
    };
    r.write = [raw, digest = r.digest](std::string_view chunk) -> Status {
      while (!chunk.empty()) {
        const ssize_t n = ::write(raw, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_errno("write the download of " + digest);
        chunk.remove_prefix(static_cast<size_t>(n));
      }
      return ok();
    };
    return r;
  }

  // A fresh read-only fd on a downloaded blob (its own offset: readers do not meet).
  Result<UniqueFd> reopen(const Digest& d) const {
    auto f = files_.find(d.str());
    if (f == files_.end()) return Error(ENOENT, "pull: " + d.str() + " was not downloaded");
    UniqueFd fd(::open(fd_path(f->second.get()).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno("reopen the download of " + d.str());
    return fd;
  }

  Result<std::string> read_text(const Digest& d) const {
    BERTH_ASSIGN(UniqueFd fd, reopen(d));
    return read_fd(fd.get());
  }

  // The opener the import reads the blobs back through.
  BlobOpener opener() {
    return [this](const Descriptor& d) -> Result<ByteReader> {
      if (auto t = texts_.find(d.digest.str()); t != texts_.end()) return string_reader(t->second);
      auto f = files_.find(d.digest.str());
      if (f == files_.end()) return Error(ENOENT, "pull: " + d.digest.str() + " was not downloaded");
      if (::lseek(f->second.get(), 0, SEEK_SET) != 0) return Error::from_errno("rewind " + d.digest.str());
      return fd_reader(f->second.get());
    };
  }

 private:
  std::string dir_;
  std::map<std::string, std::string> texts_;
  std::map<std::string, UniqueFd> files_;
};

Result<Descriptor> descriptor_of(const registry::FetchedManifest& m) {
  Descriptor d;
  d.media_type = m.media_type;
  BERTH_ASSIGN(d.digest, Digest::parse(m.digest));
  d.size = m.body.size();
  return d;
}

// Where the blobs come from and what is done with them as they arrive.
struct PullJob {
  ContentStore& store;
  registry::RegistryClient& client;
  const Reference& ref;
  const PullOptions& options;
  Downloads& downloads;
};

// The image's layers with their diff_ids and chain IDs, before anything is ingested: the
// config comes from the store or is downloaded first.
Result<std::vector<LayerRecord>> layer_records(PullJob& job, const Descriptor& manifest_desc,
                                               const Manifest& manifest) {
  std::string config_json;
  if (job.store.has(manifest.config.digest)) {
    BERTH_ASSIGN(config_json, job.store.read_blob(manifest.config.digest));
  } else {
    BERTH_ASSIGN(auto request, job.downloads.request(manifest.config));
    BERTH_TRY(job.client.blobs(job.ref.domain, job.ref.path, {request}, job.options.progress));
    BERTH_ASSIGN(config_json, job.downloads.read_text(manifest.config.digest));
  }
  BERTH_ASSIGN(auto config, parse_image_config(config_json).context("config " + manifest.config.digest.str()));
  BERTH_ASSIGN(auto record, record_from(manifest_desc, manifest, config, job.ref.str()));
  return record.layers;
}

// Downloads what the store lacks (the config first when layers are handed on as they arrive).
Status download_missing(PullJob& job, const Descriptor& manifest_desc, const Manifest& manifest) {
  std::multimap<std::string, LayerRecord> ready;  // by blob digest: a blob may be several layers
  std::set<std::string> requested;
  if (job.options.layer_ready) {
    BERTH_ASSIGN(auto layers, layer_records(job, manifest_desc, manifest));
    for (auto& l : layers) ready.emplace(l.digest.str(), std::move(l));
    requested.insert(manifest.config.digest.str());
  }
  std::vector<registry::BlobRequest> requests;
  std::vector<Descriptor> blobs = {manifest.config};
  blobs.insert(blobs.end(), manifest.layers.begin(), manifest.layers.end());
  for (const auto& b : blobs) {
    if (job.store.has(b.digest) || !requested.insert(b.digest.str()).second) continue;
    BERTH_ASSIGN(auto r, job.downloads.request(b));
    if (ready.contains(b.digest.str())) {
      r.done = [&job, &ready, d = b.digest]() -> Status {
        for (auto [it, end] = ready.equal_range(d.str()); it != end; ++it) {
          BERTH_TRY(job.options.layer_ready(it->second, [&job, d] { return job.downloads.reopen(d); }));
        }
        return ok();
      };
    }
    requests.push_back(std::move(r));
  }
  return job.client.blobs(job.ref.domain, job.ref.path, requests, job.options.progress);
}

}  // namespace

Result<ImageRecord> pull_image(ContentStore& store, registry::RegistryClient& client, const std::string& reference,
                               const PullOptions& options) {
  BERTH_ASSIGN(auto ref, Reference::parse_with_default_tag(reference));
  const std::string what = "pull " + ref.str();
  const std::string tag_or_digest = ref.digest ? ref.digest->str() : ref.tag;
  auto top_fetched = client.manifest(ref.domain, ref.path, tag_or_digest);
  if (!top_fetched) return top_fetched.error().context(what);
  Downloads downloads(store.root());
  BERTH_ASSIGN(const Descriptor top, descriptor_of(*top_fetched));
  downloads.keep_text(top.digest, top_fetched->body);

  // An index: the manifest for the platform, fetched by digest.
  std::string manifest_text = top_fetched->body;
  Descriptor manifest_desc = top;
  BERTH_ASSIGN(auto kind, detect_manifest_kind(top_fetched->body, top.media_type));
  if (kind == ManifestKind::kIndex) {
    BERTH_ASSIGN(auto index, parse_index(top_fetched->body, top.media_type));
    auto chosen = select_manifest(index, options.platform);
    if (!chosen) return chosen.error().context(what);
    manifest_desc = *chosen;
    auto m = client.manifest(ref.domain, ref.path, manifest_desc.digest.str());
    if (!m) return m.error().context(what);
    manifest_text = m->body;
    downloads.keep_text(manifest_desc.digest, m->body);
  }
  BERTH_ASSIGN(auto manifest, parse_manifest(manifest_text, manifest_desc.media_type));

  PullJob job{store, client, ref, options, downloads};
  if (auto s = download_missing(job, manifest_desc, manifest); !s) return s.error().context(what);

  BERTH_ASSIGN(auto lock, store.lock(false));
  ImportTransaction tx(store, std::move(lock));
  auto record = ingest_image(tx, store, top, downloads.opener(), options.platform, ref.str());
  if (!record) return record.error().context(what);
  BERTH_TRY(save_image_record(store, *record));
  tx.commit();
  return record;
}

}  // namespace berth::images
