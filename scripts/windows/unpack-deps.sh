#!/usr/bin/env bash
# Unpacks the prebuilt Windows dependency prefix (mingw-w64 builds of Poco,
# OpenSSL, SQLite, libserialport, libphonenumber, ICU, libpq, mariadb) into
# build/windows-deps, after checking its SHA-256. The prefix is rebuilt from
# the upstream archives by scripts/windows/build-deps.sh.
#
#   scripts/windows/unpack-deps.sh [TARBALL]
#
# Without TARBALL: $TILLBRIDGE_WINDOWS_DEPS_TARBALL, else
# ../shared/windows-deps/tillbridge-mingw-deps-v1.tar.xz beside the clone.
# With TILLBRIDGE_WINDOWS_DEPS set to a complete prefix (for example one made
# by build-deps.sh), that prefix is used and nothing is unpacked.
# Exit 0 when the prefix is ready, 3 when no tarball is to be found (the
# Windows stage cannot run), 1 when the tarball is damaged.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EXPECTED_SHA256=36bc8d75ed6f363da65977f3f71b87b5ece519a81a2b6ede014487bc53c0461b
DEST="${TILLBRIDGE_WINDOWS_DEPS:-$ROOT/build/windows-deps}"

case "${1:-}" in
  -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
esac
TARBALL="${1:-${TILLBRIDGE_WINDOWS_DEPS_TARBALL:-$ROOT/../shared/windows-deps/tillbridge-mingw-deps-v1.tar.xz}}"

if [ -n "${TILLBRIDGE_WINDOWS_DEPS:-}" ] && [ -f "$DEST/cmake/PocoConfig.cmake" ]; then
  # A prefix of the user's own (scripts/windows/build-deps.sh): used as it is.
  echo "unpack-deps: using the Windows dependency prefix in $DEST"
  exit 0
fi
if [ -f "$DEST/.sha256" ] && [ "$(cat "$DEST/.sha256")" = "$EXPECTED_SHA256" ]; then
  echo "unpack-deps: Windows dependency prefix ready in $DEST"
  exit 0
fi
if [ ! -f "$TARBALL" ]; then
  echo "unpack-deps: no Windows dependency prefix at $TARBALL;" \
       "build one with scripts/windows/build-deps.sh (see scripts/windows/README.md)" >&2
  exit 3
fi
actual="$(sha256sum "$TARBALL" | cut -d' ' -f1)"
if [ "$actual" != "$EXPECTED_SHA256" ]; then
  echo "unpack-deps: $TARBALL has SHA-256 $actual, expected $EXPECTED_SHA256;" \
       "the file is damaged or another version" >&2
  exit 1
fi
rm -rf "$DEST.partial"
mkdir -p "$DEST.partial"
tar -C "$DEST.partial" -xJf "$TARBALL"
rm -rf "$DEST"
mv "$DEST.partial" "$DEST"
echo "$EXPECTED_SHA256" >"$DEST/.sha256"
echo "unpack-deps: unpacked $(du -sh "$DEST" | cut -f1) into $DEST"
