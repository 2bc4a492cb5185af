#!/usr/bin/env bash
# image_pull.sh: pull + unpack of the same images from one local registry by berth,
# containerd and skopeo + umoci, next to the machine's bound (see bench/README.md).
# Starts Debian's docker-registry on a loopback port, builds two images (busybox; a
# generated multi-layer image of ~270 MB), pushes them with skopeo, runs
# build/bench/image_pull_bench, then stops the registry and removes its work dir.
#
# env: ROUNDS (5), WARMUP (1), WORK_BASE (/var/tmp: where the work dir goes; the disk
#      measured), BUILD_DIR (build), IMAGES (small,big), KEEP=1 (keep the work dir),
#      DRIVER_ARGS (more arguments for image_pull_bench, e.g. "--methods berth --no-bound")
set -euo pipefail
umask 022

SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SOURCE_DIR/build}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-1}
WORK_BASE=${WORK_BASE:-/var/tmp}
IMAGES=${IMAGES:-small,big}
DRIVER=$BUILD_DIR/bench/image_pull_bench

die() { echo "image_pull.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (containerd, umoci and the overlay snapshots need it)"
for tool in docker-registry skopeo umoci containerd ctr curl jq tar gzip sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh)"
done
ninja -C "$BUILD_DIR" image_pull_bench >/dev/null || die "cannot build image_pull_bench in $BUILD_DIR"

WORK=$(mktemp -d "$WORK_BASE/berth-bench-pull.XXXXXX")
REGISTRY_PID=
cleanup() {
  [ -z "$REGISTRY_PID" ] || { kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo "work dir kept: $WORK" >&2; else rm -rf --one-file-system "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A registry on a free loopback port (a port picked at random may be taken: try a few).
start_registry() {
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 20000))
    printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
      "$WORK/registry" "$port" >"$WORK/registry.yml"
    docker-registry serve "$WORK/registry.yml" >>"$WORK/registry.log" 2>&1 &
    REGISTRY_PID=$!
    for _ in $(seq 100); do
      if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 200 ]; then
        HOST=127.0.0.1:$port
        return 0
      fi
      kill -0 "$REGISTRY_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
    REGISTRY_PID=
  done
  die "docker-registry did not start on a loopback port; see $WORK/registry.log"
}

# Layer tarball of the directory $1 (names sorted, owners and mtimes fixed) gzipped into
# the blob store $2; prints "sha256:DIGEST SIZE sha256:DIFF_ID".
put_layer() {
  local src=$1 blobs=$2 tmp names diff_id hex
  tmp=$(mktemp "$blobs/.layer.XXXXXX")
  mapfile -t names < <(cd "$src" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
  LC_ALL=C tar --format=pax --numeric-owner --owner=0 --group=0 --mtime=@1700000000 --sort=name \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$src" -cf "$tmp" -- "${names[@]}"
  diff_id=$(sha256sum "$tmp" | cut -d' ' -f1)
  gzip -n -6 -c "$tmp" >"$tmp.gz"
  mv "$tmp.gz" "$tmp"
  hex=$(sha256sum "$tmp" | cut -d' ' -f1)
  mv "$tmp" "$blobs/$hex"
  echo "sha256:$hex $(stat -c %s "$blobs/$hex") sha256:$diff_id"
}

# An OCI layout $1 tagged latest from the layer directories $3..., bottom first; pushed as $2.
push_layers_image() {
  local layout=$1 repo=$2 blobs layers=() diff_ids=() d s i config manifest
  shift 2
  blobs=$layout/blobs/sha256
  mkdir -p "$blobs"
  echo '{"imageLayoutVersion": "1.0.0"}' >"$layout/oci-layout"
  for dir in "$@"; do
    read -r d s i < <(put_layer "$dir" "$blobs")
    layers+=("$(jq -cn --arg d "$d" --argjson s "$s" '{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s}')")
    diff_ids+=("$i")
  done
  jq -cn --args '{architecture: "amd64", os: "linux", config: {Cmd: ["sh"]},
      rootfs: {type: "layers", diff_ids: $ARGS.positional}}' "${diff_ids[@]}" >"$blobs/config"
  read -r config < <(sha256sum "$blobs/config" | cut -d' ' -f1)
  mv "$blobs/config" "$blobs/$config"
  printf '%s\n' "${layers[@]}" | jq -cs --arg c "sha256:$config" --argjson cs "$(stat -c %s "$blobs/$config")" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs}, layers: .}' >"$blobs/m"
  read -r manifest < <(sha256sum "$blobs/m" | cut -d' ' -f1)
  mv "$blobs/m" "$blobs/$manifest"
  jq -cn --arg d "sha256:$manifest" --argjson s "$(stat -c %s "$blobs/$manifest")" \
    '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
      annotations: {"org.opencontainers.image.ref.name": "latest"}}]}' >"$layout/index.json"
  skopeo copy --quiet --dest-tls-verify=false "oci:$layout:latest" "docker://$HOST/$repo:latest"
}

start_registry
ARGS=()
if [[ ,$IMAGES, == *,small,* ]]; then
  bash "$SOURCE_DIR/scripts/make-busybox-fixture.sh" image-layout "$WORK/small" >/dev/null
  skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/small:latest" "docker://$HOST/berth/small:latest"
  ARGS+=(--image small=berth/small:latest)
fi
if [[ ,$IMAGES, == *,big,* ]]; then
  template=$(bash "$SOURCE_DIR/scripts/make-busybox-fixture.sh" rootfs-template)
  trees=("$template/rootfs")
  for layer in 1 2 3 4; do
    mkdir -p "$WORK/trees/$layer"
    "$DRIVER" generate "$layer" "$WORK/trees/$layer" >/dev/null
    trees+=("$WORK/trees/$layer")
  done
  push_layers_image "$WORK/big" berth/big "${trees[@]}"
  ARGS+=(--image big=berth/big:latest)
fi
sync
echo "image_pull.sh: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), work dir on $(df --output=source,fstype "$WORK" | tail -1)"
"$DRIVER" --registry "$HOST" --work "$WORK/run" --rounds "$ROUNDS" --warmup "$WARMUP" "${ARGS[@]}" ${DRIVER_ARGS:-}
