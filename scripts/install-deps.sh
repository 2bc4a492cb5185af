#!/usr/bin/env bash
# install-deps.sh: install the Debian 12 packages that berth's build, tests, demo and
# fixtures need. Idempotent: when every package is already installed it does nothing
# (no apt-get update), so re-runs take a fraction of a second.
#
# usage: sudo bash scripts/install-deps.sh [--check]
#   --check   only report missing packages (exit 1 if any); never calls apt-get
set -euo pipefail

# One package per line, grouped by who needs it; add new needs to the right group.
PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  libseccomp-dev libcap-dev libmnl-dev libnl-3-dev libnl-route-3-dev libapparmor-dev
  libcereal-dev libboost-dev rapidjson-dev libgtest-dev libgmock-dev libyaml-cpp-dev
  libnftnl-dev zlib1g-dev libzstd-dev libssl-dev libboost-filesystem-dev
  # style
  clang-format clang-tidy
  # fuzz targets (tests/fuzz: libFuzzer comes with clang)
  clang
  # fixtures (scripts/make-busybox-fixture.sh) and the demo
  busybox-static jq tar gzip coreutils
  # test peers: other runtimes and engines driven against berth-oci; image tools
  runc crun podman containerd skopeo umoci docker-registry containernetworking-plugins appc-spec
  # tools the integration tests and scripts call
  iproute2 procps util-linux curl xfsprogs nftables iptables apache2-utils libcap2-bin
)

missing_packages() {
  # dpkg-query prints a status line per known package and exits 1 when some are unknown
  # (never installed): that is an answer here, not an error.
  local installed
  installed=$({ dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true; } |
    awk '$2 == "ii" { print $1 }')
  local p
  for p in "${PACKAGES[@]}"; do
    grep -qx -- "$p" <<<"$installed" || echo "$p"
  done
}

command -v dpkg-query >/dev/null || { echo "install-deps.sh: dpkg-query not found: this script is for Debian 12" >&2; exit 1; }

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps.sh: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi
if [ "${1:-}" = --check ]; then
  echo "install-deps.sh: missing: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: missing ${missing[*]}; run as root (sudo bash scripts/install-deps.sh)" >&2
  exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null

mapfile -t still < <(missing_packages)
if [ "${#still[@]}" -ne 0 ]; then
  echo "install-deps.sh: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
echo "install-deps.sh: done"
