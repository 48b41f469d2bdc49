#!/usr/bin/env bash
# No Docker engine here, so the Dockerfile is checked statically: multi-stage on bookworm,
# unit tests in the build stage, a slim runtime that ships exactly the Debian packages holding
# the libraries valkey-bench links (resolved on this machine with ldconfig + dpkg -S), a
# non-root user and the binary as ENTRYPOINT. And the build stage can run the tests it selects:
# every command those tests start comes from a package it installs or from the base image.
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
# The Debian packages between the "# NAME:begin" and "# NAME:end" markers of a Dockerfile.
packages() { # marker dockerfile
  sed -n "/$1:begin/,/$1:end/p" "$2" | grep -v '^#' | tr -s ' \\' '\n' |
    grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|update|install|rm|RUN|lists|y|no|recommends)$' | sort -u
}
runtime="$(packages runtime-packages $df)"
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

# The build stage runs `ctest ARGS` (ARGS parsed from the Dockerfile). For each test those ARGS
# select here, the commands it starts must be installed by the build stage (its listed packages
# and their dependencies) or come with debian:bookworm (Essential or Priority: required). A
# test's commands are found one level deep: its argv[0] when that is an installed program
# (python3 -m unittest ...), else (a test binary or script of ours) the `#!` interpreters and
# `exec NAME` command strings it contains (test_kube_stub: "exec python3 '%s' '%s'"). Each is
# mapped to its Debian package with dpkg -S on this (bookworm) machine; a NAME that is no
# command here at all (the "exec plugin ..." messages, a plugin a test means to be missing)
# is not one.
base_pkgs=" $(dpkg-query -W -f='${Package}\t${Essential}\t${Priority}\n' |
  awk -F'\t' '$2 == "yes" || $3 == "required" {print $1}' | tr '\n' ' ') "
pkg_of() { # command -> the Debian package that installs it here, or nothing
  local d p
  for d in /usr/bin /bin /usr/sbin /sbin; do
    [ -e "$d/$1" ] || continue
    p="$(dpkg -S "$d/$1" 2>/dev/null | grep -v '^diversion' | head -n1 | cut -d: -f1 || true)"
    [ -n "$p" ] && { echo "$p"; return; }
  done
}
commands_of() { # argv[0] of a test -> the commands it starts, one a line
  case "$1" in
  "$VB_BUILD_DIR"/* | "$VB_SOURCE_DIR"/*)
    strings -a "$1" | sed -n -e 's|^#! *\(/usr/bin/env  *\)\{0,1\}\([^ ]*\).*|\2|p' \
      -e 's|^exec  *\([^ ]*\).*|\1|p' | sed 's|.*/||' | sort -u ;;
  *) basename "$1" ;;
  esac
}
check_build_stage() { # dockerfile -> 0 when the build stage can run the tests it selects
  local df="$1" args pkgs have ok=0 name argv0 cmd pkg
  args="$(sed -n 's/.*ctest --test-dir build \(.*\)/\1/p' "$df" | sed 's/&&.*//; s/\\$//; s/--output-on-failure//')"
  [ -n "$args" ] || { echo "FAIL: no ctest --test-dir build in $df"; return 1; }
  pkgs="$(packages build-packages "$df")"
  [ -n "$pkgs" ] || { echo "FAIL: no build package list (build-packages markers) in $df"; return 1; }
  have=" $(echo $pkgs) $(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances $pkgs 2>/dev/null | grep -v '^ ' | tr -d '<>' | sort -u | tr '\n' ' ')$base_pkgs"
  # shellcheck disable=SC2086 # $args are the Dockerfile's ctest arguments, split like the shell does there
  ctest --test-dir "$VB_BUILD_DIR" --show-only=json-v1 $args | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tests"]:
    print(t["name"], t["command"][0])' >"$tmp/selected"
  [ -s "$tmp/selected" ] || { echo "FAIL: ctest $args selects no test"; return 1; }
  while read -r name argv0; do
    for cmd in $(commands_of "$argv0"); do
      pkg="$(pkg_of "$cmd")"
      if [ -z "$pkg" ]; then
        command -v "$cmd" >/dev/null 2>&1 || continue
        echo "FAIL: $name runs $cmd, which no Debian package installs here"; ok=1
      elif ! echo "$have" | grep -q " $pkg "; then
        echo "FAIL: $name runs $cmd (Debian package $pkg), which the build stage does not install"; ok=1
      fi
    done
  done <"$tmp/selected"
  [ $ok = 0 ] && echo "ok   the build stage's ctest $(echo $args) ($(wc -l <"$tmp/selected") tests) has every command it runs"
  return $ok
}
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
check_build_stage $df || rc=1
# The check must be able to fail: the same Dockerfile without python3 in its build stage.
sed '/build-packages:begin/,/build-packages:end/s/ python3 / /' $df >"$tmp/Dockerfile.nopython"
if check_build_stage "$tmp/Dockerfile.nopython" >"$tmp/nopython.out"; then
  echo "FAIL: a build stage without python3 passed the unit-test command check"; rc=1
else
  grep -q 'runs python3 (Debian package python3-minimal)' "$tmp/nopython.out" ||
    { echo "FAIL: want python3 named:"; cat "$tmp/nopython.out"; rc=1; }
fi
[ $rc = 0 ] && echo "test_dockerfile: ok"
exit $rc
