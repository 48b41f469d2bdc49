#!/usr/bin/env bash
# Runs every test: the normal build, the AddressSanitizer+UBSan build, and the fuzz
# targets (briefly), all through ctest. Usage: hack/test.sh [--quick] [ctest args...]
#   --quick   only the normal build (no sanitizer or fuzz pass)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
jobs=$(nproc)

step() { printf '\n=== %s (t+%ds) ===\n' "$*" "$SECONDS"; }

# kubectl for the kubesim and operator end-to-end tests: Debian does not package it, so the
# one from hack/fetch-tools.sh, fetched once here rather than by parallel tests under their
# timeouts. A kubectl already on PATH is kept (appended, not prepended).
# VB_REQUIRE_TOOLS=1 (.ci/run sets it) or CI=true makes a failed fetch fatal, as in
# tests/shipping/tools.sh: the tests that need the tools would otherwise be skipped and the
# run stay green without them.
step "tools (helm, kubectl)"
if tools="$(hack/fetch-tools.sh --quiet | tail -n1)" && [ -x "$tools/kubectl" ]; then
  export PATH="$PATH:$tools"
else
  case "${VB_REQUIRE_TOOLS:-${CI:-0}}" in
  1|true) echo "test.sh: hack/fetch-tools.sh failed; helm and kubectl are required (CI or VB_REQUIRE_TOOLS=1)" >&2
          exit 1 ;;
  esac
  echo "test.sh: hack/fetch-tools.sh failed: tests needing kubectl or helm will fail or skip" >&2
fi

step "build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
step "ctest (build)"
ctest --test-dir build --output-on-failure -j "$jobs" -LE fuzz "$@"

[ "$quick" -eq 1 ] && exit 0

step "build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVB_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
step "ctest (build-asan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE "fuzz|bench" "$@"

step "fuzz targets (clang, libFuzzer)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DVB_FUZZ=ON \
  -DVB_FUZZ_SECONDS="${VB_FUZZ_SECONDS:-15}" >/dev/null
cmake --build build-fuzz -j "$jobs"
ctest --test-dir build-fuzz --output-on-failure -L fuzz

step "linux/arm64: cross build + unit tests under qemu-aarch64"
if [ "${VB_SKIP_ARM64:-0}" = 1 ]; then echo "skipped (VB_SKIP_ARM64=1)"; else hack/build-arm64.sh; fi
printf "\n=== done (t+%ds) ===\n" "$SECONDS"
