#!/usr/bin/env bash
# The Windows stage of the test suite: cross-builds the agent with mingw-w64
# against the Windows dependency prefix, runs its unit tests under Wine, then
# the Windows agent against Linux-side servers and the MSI install test.
# Needs the Linux release build (its reference cloud and register simulator).
#
#   scripts/windows/test-windows.sh [ctest arguments]
#
# Without a dependency prefix (no ../shared/windows-deps beside the clone and
# none built with scripts/windows/build-deps.sh) it says so in one line and
# exits 0: the Linux suite stands on its own.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

rc=0
unpacked="$(scripts/windows/unpack-deps.sh 2>&1)" || rc=$?
[ "$rc" -eq 3 ] || echo "$unpacked"
if [ "$rc" -eq 3 ]; then
  echo "windows: SKIPPED the Windows stage: it needs the dependency prefix" \
       "(../shared/windows-deps/tillbridge-mingw-deps-v1.tar.xz, or one built with" \
       "scripts/windows/build-deps.sh; see scripts/windows/README.md)"
  exit 0
elif [ "$rc" -ne 0 ]; then
  exit "$rc"
fi

scripts/install-deps.sh windows
if [ ! -x build/release/tools/refcloud/tillbridge-refcloud ]; then
  scripts/build.sh release
fi
cmake --preset windows -DTILLBRIDGE_LINUX_BUILD_DIR="$ROOT/build/release" \
  ${TILLBRIDGE_WINDOWS_DEPS:+-DTILLBRIDGE_WINDOWS_DEPS="$TILLBRIDGE_WINDOWS_DEPS"} >/dev/null
cmake --build --preset windows -- -j"$(nproc)"
ctest --preset windows -j"$(nproc)" --timeout 900 "$@"
