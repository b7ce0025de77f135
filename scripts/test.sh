#!/usr/bin/env bash
# The full test suite, from a bare Debian 12 machine: installs dependencies,
# starts the database servers the tests use, builds and runs every test in
# the release build, then the Windows stage (cross-build, tests under Wine,
# the MSI; skipped with one line when the Windows dependency prefix is not
# there), then everything again under AddressSanitizer + UBSan, then the
# fuzzers for a bounded time.
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    release build only, no Windows stage, no sanitizer pass, no fuzzing
#   scripts/test.sh -L store   pass extra arguments to ctest (e.g. one label)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

QUICK=0
CTEST_ARGS=()
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    *) CTEST_ARGS+=("$arg") ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh test

if [ -x scripts/start-test-databases.sh ]; then
  step "database servers"
  scripts/start-test-databases.sh
fi

JOBS="$(nproc)"
run_suite() {
  local preset="$1"; shift
  step "build ($preset)"
  scripts/build.sh "$preset"
  step "tests ($preset)"
  ctest --preset "$preset" -j"$JOBS" --timeout 900 "$@" "${CTEST_ARGS[@]}"
}

run_suite release
if [ "$QUICK" -eq 0 ]; then
  step "Windows stage (mingw-w64 cross-build, tests under Wine, MSI)"
  scripts/windows/test-windows.sh "${CTEST_ARGS[@]}"
  # Everything again under ASan + UBSan, except the long soak runs (already
  # run above) and the packages (a sanitizer build is not shipped).
  run_suite debug -LE 'sync-soak|packaging'
  if [ -x scripts/run-fuzz.sh ]; then
    step "fuzzing (bounded)"
    scripts/run-fuzz.sh "${FUZZ_SECONDS:-30}"
  fi
fi
step "all tests passed"
