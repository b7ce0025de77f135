#!/usr/bin/env bash
# Makes (once) the clean Debian 12 root the install and service tests start
# from: debootstrap minbase from the mirror this machine's apt uses, plus
# systemd and man-db, with bookworm, bookworm-updates and bookworm-security
# sources and fresh package lists. Cached as a tarball under the build tree;
# later runs only check it exists.
#   root_cache.sh CACHE_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=debian_root.sh
. "$HERE/debian_root.sh"

CACHE="$1"
require_root_tools
mkdir -p "$CACHE"
TARBALL="$(root_tarball_path "$CACHE")"

exec 9>"$CACHE/.lock"
flock 9
if [ -f "$TARBALL" ]; then
  echo "cached Debian root: $TARBALL ($(du -h "$TARBALL" | cut -f1), made $(date -r "$TARBALL" -u +%F))"
  exit 0
fi

MIRROR="$(debian_mirror)"
SECURITY="$(debian_security_mirror)"
BUILD="$(mktemp -d "$CACHE/build.XXXXXX")"
trap 'remove_root "$BUILD"' EXIT
ROOT="$BUILD/root"

echo "debootstrap $DEBIAN_SUITE (minbase + $DEBIAN_INCLUDE) from $MIRROR"
start=$SECONDS
if ! debootstrap --variant=minbase --include="$DEBIAN_INCLUDE" "$DEBIAN_SUITE" "$ROOT" "$MIRROR" \
     >"$BUILD/debootstrap.log" 2>&1; then
  tail -20 "$BUILD/debootstrap.log"
  echo "FAIL debootstrap from $MIRROR (see the log above)"
  exit 1
fi
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $DEBIAN_SUITE main
deb $MIRROR $DEBIAN_SUITE-updates main
deb $SECURITY $DEBIAN_SUITE-security main
EOF
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
chroot "$ROOT" apt-get update -qq
chroot "$ROOT" apt-get clean
rm -f "$ROOT"/var/cache/apt/*.bin
unmount_below "$ROOT"
tar --zstd --numeric-owner -cf "$TARBALL.tmp" -C "$ROOT" .
mv "$TARBALL.tmp" "$TARBALL"
echo "made $TARBALL ($(du -h "$TARBALL" | cut -f1)) in $((SECONDS - start)) s"
