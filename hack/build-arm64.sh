#!/usr/bin/env bash
# Proves the linux/arm64 (Graviton) build without a Docker engine: cross-compiles with Debian's
# aarch64 toolchain against arm64 -dev packages, then runs the unit tests under qemu-aarch64.
#
# The arm64 packages are not installed into the host: they are fetched with `apt-get download`
# (dependency closure from apt-cache) and unpacked with `dpkg -x` into a sysroot
# (build-arm64/sysroot). The -dev packages are Multi-Arch: same and could be co-installed, but
# their closure is large and a foreign-arch install can ask to remove host packages on a
# shared machine; the sysroot cannot, and is thrown away with the build tree.
# Idempotent: installs what is missing, reuses the sysroot when the package list is unchanged.
# Usage: hack/build-arm64.sh [ctest args...]   (VB_ARM64_BUILD=dir to change build-arm64)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
build="${VB_ARM64_BUILD:-$root/build-arm64}"
sysroot="$build/sysroot"
jobs="${VB_JOBS:-2}"
say() { printf 'build-arm64: %s\n' "$*"; }

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
apt_get() { $SUDO apt-get -o DPkg::Lock::Timeout=600 "$@"; }

host_pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user cmake pkg-config dpkg-dev file)
missing=()
for p in "${host_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  say "dpkg --add-architecture arm64"
  $SUDO dpkg --add-architecture arm64
fi
# apt knows arm64 packages only after an update that followed --add-architecture.
if ! apt-cache show libhiredis-dev:arm64 >/dev/null 2>&1; then
  say "apt-get update (arm64 package lists)"
  apt_get update -qq
fi

dev_pkgs=(libcurl4-openssl-dev libyaml-dev libhiredis-dev libwebsockets-dev libjansson-dev libcmocka-dev)
# The toolchain brings its own libc and libgcc for aarch64; everything else comes from arm64 .debs.
skip_re='^(libc6|libc6-dev|libc-dev-bin|libgcc-s1|gcc-12-base|libcrypt1|libcrypt-dev|linux-libc-dev|libnsl2|libnsl-dev|libtirpc3|libtirpc-dev|libtirpc-common|debconf|perl-base|dpkg|tar|install-info)$'
closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "${dev_pkgs[@]/%/:arm64}" 2>/dev/null |
    sed -n 's/^\(  [A-Za-z]*Depends: \)\?\([a-z0-9][a-z0-9.+-]*\):arm64$/\2/p; s/^\([a-z0-9][a-z0-9.+-]*\):arm64$/\1/p' |
    grep -Ev "$skip_re" | sort -u
}
mapfile -t pkgs < <(closure)
[ ${#pkgs[@]} -gt 0 ] || { echo "build-arm64: could not resolve arm64 packages" >&2; exit 1; }
stamp="$(printf '%s\n' "${pkgs[@]}" | sha256sum | cut -c1-16)"
if [ ! -f "$sysroot/.stamp-$stamp" ]; then
  say "unpacking ${#pkgs[@]} arm64 packages into $sysroot"
  rm -rf "$sysroot" "$build/debs"; mkdir -p "$sysroot" "$build/debs"
  (cd "$build/debs" && apt-get download -qq "${pkgs[@]/%/:arm64}" >/dev/null)
  for deb in "$build"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
  # Absolute symlinks (libfoo.so -> /lib/aarch64-linux-gnu/libfoo.so.1) must stay in the sysroot.
  find "$sysroot" -type l -lname '/*' | while read -r link; do
    ln -sfn "$sysroot$(readlink "$link")" "$link"
  done
  rm -rf "$build/debs"
  touch "$sysroot/.stamp-$stamp"
else
  say "sysroot up to date (${#pkgs[@]} packages)"
fi

say "configure + build (aarch64-linux-gnu-gcc)"
cmake -S . -B "$build/tree" -DCMAKE_TOOLCHAIN_FILE="$root/hack/aarch64-toolchain.cmake" \
  -DVB_ARM64_SYSROOT="$sysroot" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/tree" -j "$jobs"
file "$build/tree/valkey-bench" | grep -q 'ARM aarch64' || { echo "build-arm64: not an aarch64 binary" >&2; exit 1; }
say "$(file -b "$build/tree/valkey-bench" | cut -d, -f1-2)"
# Every unit test, test_kube_config included: under qemu-user a failed exec of a missing exec
# plugin is reported as the child's exit status 127 (qemu runs posix_spawn's clone as a plain
# fork), which exec_plugin.c treats as "cannot run" like the ENOENT that real arm64 reports.
say "ctest -L unit under qemu-aarch64"
ctest --test-dir "$build/tree" --output-on-failure -j "$jobs" -L unit "$@"
