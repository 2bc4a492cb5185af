#!/usr/bin/env bash
# make-busybox-fixture.sh: the busybox fixtures used by berth's tests, README and benches.
# Nothing is downloaded: the root filesystem is Debian's busybox-static binary plus a
# symlink per applet, /etc/{passwd,group,hosts} and empty /proc /sys /dev /tmp /root /run.
#
# usage:
#   make-busybox-fixture.sh bundle DIR [--runtime BIN] [--net|--no-net] [--tty] [-- ARGS...]
#       An OCI runtime bundle: DIR/rootfs (rebuilt) and DIR/config.json from `BIN spec`,
#       adjusted: process.args = ARGS (default: sh), process.terminal = false (--tty: true),
#       root = {path: rootfs, readonly: false}.
#       --net     keep a private network namespace, loopback only (the default)
#       --no-net  drop the network namespace: the container shares the host's network
#       --runtime the binary whose `spec` writes the base config (default: $BERTH_SPEC_RUNTIME,
#                 else the berth-oci under build/, falling back to runc when its `spec` fails)
#   make-busybox-fixture.sh image-layout DIR [--tag TAG] [--no-validate]
#       An OCI image layout: DIR/oci-layout, DIR/index.json (the manifest annotated with
#       org.opencontainers.image.ref.name=TAG, default latest; other tags in DIR are kept)
#       and DIR/blobs/sha256/ holding one reproducible gzip layer of the same rootfs, the
#       image config (Cmd [sh]) and the manifest. Checked with skopeo or umoci when installed.
#   make-busybox-fixture.sh rootfs-template
#       Prints the cached template directory (rootfs/, layer.tar.gz, layer.diff_id).
#
# Prints DIR on stdout. The rootfs and the layer are built once per busybox binary and kept
# under ${XDG_CACHE_HOME:-/var/cache}/berth-fixtures/ (keyed by the binary's sha256), so a
# bundle costs a copy and a `spec`. env: BUSYBOX (default /bin/busybox), BERTH_BUILD_DIR.
set -euo pipefail
umask 022

SELF=make-busybox-fixture.sh
SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Bump when the rootfs or layer recipe below changes: it is part of the cache key.
FIXTURE_VERSION=1
BUSYBOX=${BUSYBOX:-/bin/busybox}

die() { echo "$SELF: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2; exit 2; }

CLEANUP=()
cleanup() {
  local p
  for p in "${CLEANUP[@]}"; do rm -rf --one-file-system "$p"; done
}
trap cleanup EXIT

need() { # need TOOL PACKAGE
  command -v "$1" >/dev/null || die "$1 not found (apt-get install $2, or run scripts/install-deps.sh)"
}

check_busybox() {
  [ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
  # A dynamic busybox would need its libraries inside the rootfs. (ldd exits 1 on a static one.)
  command -v ldd >/dev/null || return 0
  local out
  out=$(ldd "$BUSYBOX" 2>&1 || true)
  case $out in
    *"not a dynamic executable"* | *"statically linked"*) ;;
    *) die "$BUSYBOX is not statically linked (apt-get install busybox-static)" ;;
  esac
}

cache_base() {
  local base=${XDG_CACHE_HOME:-/var/cache}/berth-fixtures
  if mkdir -p "$base" 2>/dev/null && [ -w "$base" ]; then
    echo "$base"
  else
    base=${TMPDIR:-/tmp}/berth-fixtures-$(id -u)
    mkdir -p "$base" || die "cannot create a fixture cache at $base"
    echo "$base"
  fi
}

# Fills the empty directory $1 with the busybox root filesystem.
build_rootfs() {
  local r=$1 applet
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run}
  chmod 1777 "$r/tmp"
  chmod 0700 "$r/root"
  cp "$BUSYBOX" "$r/bin/busybox"
  chmod 0755 "$r/bin/busybox"
  "$BUSYBOX" --list-full | while read -r applet; do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$r/$(dirname "$applet")"
    ln -sf /bin/busybox "$r/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
}

# Writes $2/layer.tar.gz and $2/layer.diff_id from the rootfs $1. Same busybox, same bytes:
# names sorted, owners and mtimes fixed, no gzip name or timestamp.
build_layer() {
  local r=$1 out=$2 names
  mapfile -t names < <(cd "$r" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
  LC_ALL=C tar --format=gnu --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name \
    -C "$r" -cf "$out/layer.tar" -- "${names[@]}"
  sha256sum "$out/layer.tar" | cut -d' ' -f1 >"$out/layer.diff_id"
  gzip -n -6 "$out/layer.tar"
}

# Prints the cached template directory, building it on first use. The build happens in a
# private directory renamed into place, so concurrent callers never see half a template.
rootfs_template() {
  check_busybox
  need sha256sum coreutils
  need tar tar
  need gzip gzip
  local base key dir build
  base=$(cache_base)
  key=$(sha256sum "$BUSYBOX" | cut -d' ' -f1)
  dir=$base/v$FIXTURE_VERSION-$key
  if [ ! -f "$dir/layer.diff_id" ]; then
    build=$(mktemp -d "$base/.build.XXXXXX")
    CLEANUP+=("$build")
    build_rootfs "$build/rootfs"
    build_layer "$build/rootfs" "$build"
    chmod 0755 "$build"
    # Loses the race quietly when another caller renamed its template in first.
    mv -T "$build" "$dir" 2>/dev/null || [ -f "$dir/layer.diff_id" ] || die "cannot create the template $dir"
  fi
  echo "$dir"
}

find_berth_oci() {
  local build=${BERTH_BUILD_DIR:-$SOURCE_DIR/build}
  [ -d "$build" ] || return 1
  local bin
  bin=$(find "$build" -maxdepth 4 -name berth-oci -type f -perm -u+x -print -quit)
  [ -n "$bin" ] && echo "$bin"
}

# Runs `$1 spec` in an empty directory $2; the runtime's complaint goes to stderr on failure.
run_spec() {
  local runtime=$1 dir=$2
  if ! (cd "$dir" && "$runtime" spec) >"$dir/spec.log" 2>&1 || [ ! -s "$dir/config.json" ]; then
    echo "$SELF: \`$runtime spec\` failed: $(head -c 500 "$dir/spec.log")" >&2
    return 1
  fi
}

cmd_bundle() {
  local dir=${1:-} runtime=${BERTH_SPEC_RUNTIME:-} net=true tty=false
  [ -n "$dir" ] || usage
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --runtime) [ $# -ge 2 ] || usage; runtime=$2; shift 2 ;;
      --net) net=true; shift ;;
      --no-net) net=false; shift ;;
      --tty) tty=true; shift ;;
      --) shift; break ;;
      *) echo "$SELF: bundle: unknown option $1" >&2; usage ;;
    esac
  done
  [ $# -gt 0 ] || set -- sh
  need jq jq

  local template tmp
  template=$(rootfs_template)
  tmp=$(mktemp -d)
  CLEANUP+=("$tmp")
  if [ -n "$runtime" ]; then
    command -v "$runtime" >/dev/null || die "runtime not found: $runtime"
    run_spec "$runtime" "$tmp" || exit 1
  else
    runtime=$(find_berth_oci) || runtime=
    if [ -z "$runtime" ] || ! run_spec "$runtime" "$tmp" 2>/dev/null; then
      [ -z "$runtime" ] || echo "$SELF: $runtime spec failed; using runc spec" >&2
      need runc runc
      rm -f "$tmp/config.json"
      run_spec runc "$tmp" || exit 1
    fi
  fi

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  CLEANUP+=("$dir/config.json.tmp")
  rm -rf --one-file-system "$dir/rootfs"
  cp -a --reflink=auto "$template/rootfs" "$dir/rootfs"
  jq --argjson tty "$tty" --argjson net "$net" '
      .process.args = $ARGS.positional
    | .process.terminal = $tty
    | .root = {path: "rootfs", readonly: false}
    | if $net then
        if any(.linux.namespaces[]?; .type == "network") then . else .linux.namespaces += [{type: "network"}] end
      else
        .linux.namespaces |= map(select(.type != "network"))
      end
  ' --args -- "$@" <"$tmp/config.json" >"$dir/config.json.tmp"
  mv "$dir/config.json.tmp" "$dir/config.json"
  echo "$dir"
}

oci_arch() {
  case $(uname -m) in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    armv7l | armv6l) echo arm ;;
    i?86) echo 386 ;;
    *) uname -m ;;
  esac
}

# Moves the file $1 into the blob store $2 under its digest; prints "sha256:HEX SIZE".
put_blob() {
  local file=$1 blobs=$2 hex size
  hex=$(sha256sum "$file" | cut -d' ' -f1)
  size=$(stat -c %s "$file")
  mv "$file" "$blobs/$hex"
  echo "sha256:$hex $size"
}

validate_layout() {
  local dir=$1 tag=$2 out
  if command -v skopeo >/dev/null; then
    out=$(skopeo inspect "oci:$dir:$tag" 2>&1) || die "skopeo inspect oci:$dir:$tag refused the layout: $out"
  elif command -v umoci >/dev/null; then
    out=$(umoci stat --image "$dir:$tag" 2>&1) || die "umoci stat $dir:$tag refused the layout: $out"
  fi
}

cmd_image_layout() {
  local dir=${1:-} tag=latest validate=true
  [ -n "$dir" ] || usage
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --tag) [ -n "${2:-}" ] || usage; tag=$2; shift 2 ;;
      --no-validate) validate=false; shift ;;
      *) echo "$SELF: image-layout: unknown option $1" >&2; usage ;;
    esac
  done
  need jq jq

  local template blobs arch layer diff_id config manifest layer_size config_size manifest_size
  template=$(rootfs_template)
  mkdir -p "$dir/blobs/sha256"
  dir=$(cd "$dir" && pwd)
  blobs=$dir/blobs/sha256
  CLEANUP+=("$dir/.layer.tmp" "$dir/.config.tmp" "$dir/.manifest.tmp" "$dir/.index.tmp")
  arch=$(oci_arch)
  diff_id=sha256:$(cat "$template/layer.diff_id")

  cp --reflink=auto "$template/layer.tar.gz" "$dir/.layer.tmp"
  read -r layer layer_size < <(put_blob "$dir/.layer.tmp" "$blobs")

  jq -cn --arg arch "$arch" --arg diff_id "$diff_id" '{
      created: "1970-01-01T00:00:00Z", architecture: $arch, os: "linux",
      config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"], WorkingDir: "/"},
      rootfs: {type: "layers", diff_ids: [$diff_id]},
      history: [{created: "1970-01-01T00:00:00Z", created_by: "make-busybox-fixture.sh"}]
    }' >"$dir/.config.tmp"
  read -r config config_size < <(put_blob "$dir/.config.tmp" "$blobs")

  jq -cn --arg config "$config" --argjson config_size "$config_size" \
    --arg layer "$layer" --argjson layer_size "$layer_size" '{
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $config, size: $config_size},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $layer, size: $layer_size}]
    }' >"$dir/.manifest.tmp"
  read -r manifest manifest_size < <(put_blob "$dir/.manifest.tmp" "$blobs")

  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  local index='{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}'
  [ -s "$dir/index.json" ] && index=$(cat "$dir/index.json")
  jq -c --arg tag "$tag" --arg digest "$manifest" --argjson size "$manifest_size" --arg arch "$arch" '
      .manifests = [(.manifests // [])[] | select(.annotations["org.opencontainers.image.ref.name"] != $tag)]
        + [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $digest, size: $size,
            platform: {architecture: $arch, os: "linux"},
            annotations: {"org.opencontainers.image.ref.name": $tag}}]
  ' <<<"$index" >"$dir/.index.tmp"
  mv "$dir/.index.tmp" "$dir/index.json"

  [ "$validate" = false ] || validate_layout "$dir" "$tag"
  echo "$dir"
}

case ${1:-} in
  bundle) shift; cmd_bundle "$@" ;;
  image-layout) shift; cmd_image_layout "$@" ;;
  rootfs-template) rootfs_template ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
