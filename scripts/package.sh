#!/usr/bin/env bash
# Builds the Debian package from this checkout (a fresh clone is enough):
# installs the build dependencies, configures a release build in
# build/package (no tests, no benchmarks), builds it, runs CPack and
# checks the result with lintian.
#
#   scripts/package.sh [--revision N] [--skip-deps]
#
#   --revision N   Debian revision, the part after '-' in 0.1.0-N (default: 1,
#                  or what build/package was configured with)
#   --skip-deps    do not run scripts/install-deps.sh package
#
# Output: build/package/packages/tillbridge_<version>-<revision>_<arch>.deb
# and tillbridge-dbgsym_<version>-<revision>_<arch>.ddeb (debug symbols).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build/package"
REVISION=""
DEPS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --revision) REVISION="${2:?--revision needs a value}"; shift 2 ;;
    --skip-deps) DEPS=0; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "package: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$REVISION" ] && ! [[ "$REVISION" =~ ^[0-9A-Za-z.+~]+$ ]]; then
  echo "package: --revision may hold only letters, digits and . + ~ (got '$REVISION')" >&2
  exit 2
fi

cd "$ROOT"
if [ "$DEPS" -eq 1 ]; then
  scripts/install-deps.sh package
fi

configure=(-S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
           -DTILLBRIDGE_BUILD_TESTS=OFF -DTILLBRIDGE_BUILD_BENCH=OFF)
[ -z "$REVISION" ] || configure+=(-DTILLBRIDGE_PACKAGE_REVISION="$REVISION")
cmake "${configure[@]}" >/dev/null
rm -rf "$BUILD/packages"
# `package` builds everything first, then runs CPack.
cmake --build "$BUILD" --target package -- -j"$(nproc)"

shopt -s nullglob
debs=("$BUILD"/packages/*.deb "$BUILD"/packages/*.ddeb)
if [ ${#debs[@]} -eq 0 ]; then
  echo "package: CPack wrote no package" >&2
  exit 1
fi
if command -v lintian >/dev/null; then
  echo "==> lintian"
  # lintian's note about running as root is not about the package.
  lintian "${debs[@]}" 2>&1 | grep -v "running with root privileges" | tee "$BUILD/lintian.txt" || true
  if grep -q '^E:' "$BUILD/lintian.txt"; then
    echo "package: lintian found errors" >&2
    exit 1
  fi
else
  echo "package: lintian is not installed; skipped the check" >&2
fi
echo "==> packages"
for deb in "${debs[@]}"; do
  echo "  $deb ($(du -h "$deb" | cut -f1))"
done
