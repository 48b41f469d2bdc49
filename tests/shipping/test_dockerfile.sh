#!/usr/bin/env bash
# No Docker engine here, so the Dockerfile is checked statically: multi-stage on bookworm,
# unit tests in the build stage, a slim runtime that ships exactly the Debian packages holding
# the libraries valkey-bench links (resolved on this machine with ldconfig + dpkg -S), a
# non-root user and the binary as ENTRYPOINT.
set -euo pipefail
cd "$VB_SOURCE_DIR"
df=Dockerfile
fail() { echo "FAIL: $*"; exit 1; }
grep -qE '^FROM debian:bookworm AS build$' $df || fail "build stage must be FROM debian:bookworm AS build"
[ "$(grep -cE '^FROM ' $df)" = 2 ] || fail "want exactly two stages"
grep -E '^FROM ' $df | tail -n1 | grep -qx 'FROM debian:bookworm-slim' || fail "runtime must be debian:bookworm-slim"
grep -q 'ctest --test-dir build --output-on-failure -L unit' $df || fail "build stage must run the unit tests"
grep -qx 'USER 65532:65532' $df || fail "runtime must run as 65532"
grep -qx 'ENTRYPOINT \["/usr/local/bin/valkey-bench"\]' $df || fail "ENTRYPOINT must be valkey-bench"
runtime="$(sed -n '/runtime-packages:begin/,/runtime-packages:end/p' $df | tr -s ' \\' '\n' |
  grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|update|install|rm|RUN|lists|y|no|recommends)$' | sort -u)"
[ -n "$runtime" ] || fail "no runtime package list"
echo "runtime packages: $(echo $runtime)"
# What apt installs for them: the packages and their direct dependencies (libc6, libcap2, ...).
# One apt-cache call (loading the package cache is the slow part on a loaded machine).
base=" $(echo $runtime) $(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $runtime 2>/dev/null | sed -n 's/^ *|\?Depends: \([a-z0-9][^: ]*\).*/\1/p' |
  sort -u | tr '\n' ' ') "
have_lists=1
apt-cache show libc6 >/dev/null 2>&1 || have_lists=0
if [ "$have_lists" = 0 ]; then
  echo "note: no apt package lists (apt-get update never ran): using the listed packages + libc6/libcap2"
  base=" $(echo $runtime) libc6 libcap2 "
fi
rc=0
for lib in $(readelf -d "$VB_BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  # Sanitizer runtimes appear only in the ASan/UBSan test build, never in the image.
  case "$lib" in libasan.so*|libubsan.so*|liblsan.so*|libtsan.so*) continue ;; esac
  path="$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|AArch64/ {print $NF; exit}' || true)"
  [ -n "$path" ] || { echo "FAIL: $lib not found by ldconfig"; rc=1; continue; }
  pkg="$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n1 | cut -d: -f1 || true)"
  [ -n "$pkg" ] || pkg="$(dpkg -S "$path" 2>/dev/null | head -n1 | cut -d: -f1 || true)"
  [ -n "$pkg" ] || pkg="$(dpkg -S "$(dirname "$path")/$(basename "$(readlink -f "$path")")" 2>/dev/null | head -n1 | cut -d: -f1 || true)"
  if echo " $base " | grep -q " $pkg "; then
    echo "ok   $lib -> $pkg"
  else
    echo "FAIL: $lib comes from $pkg, which the runtime stage does not install"; rc=1
  fi
done
# Every runtime package must exist in bookworm (apt-cache knows it on this Debian machine).
if [ "$have_lists" = 1 ] && ! apt-cache show $runtime >/dev/null 2>&1; then
  for p in $runtime; do
    apt-cache show "$p" >/dev/null 2>&1 || { echo "FAIL: no Debian package $p"; rc=1; }
  done
fi
for pat in .git .tools 'build\*'; do
  grep -qx "$pat" .dockerignore || { echo "FAIL: .dockerignore misses $pat"; rc=1; }
done
[ $rc = 0 ] && echo "test_dockerfile: ok"
exit $rc
