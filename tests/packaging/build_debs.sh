#!/usr/bin/env bash
# Builds, with CPack from this build tree, the packages the other packaging
# tests use, and writes OUT/debs.env naming them:
#   CURRENT_DEB, DBGSYM_DEB  the package as configured (and its debug symbols)
#   UPGRADE_DEB              the same build as a newer revision
#   UPGRADE2_DEB             a newer revision still, whose default
#                            tillbridge.ini changed (as when a release adds
#                            a setting), to exercise dpkg's conffile handling
#   build_debs.sh OUT_DIR
set -euo pipefail
OUT="$1"
BIN="${TILLBRIDGE_BINARY_DIR:?run from ctest}"
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}

for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "FAIL $tool is not installed"; exit 1; }
done
rm -rf "$OUT"
mkdir -p "$OUT"

# The compressed man page and changelog are build outputs of their own.
cmake --build "$BIN" --target tillbridge_package_files >/dev/null

revision="$(sed -n 's/^set(CPACK_DEBIAN_PACKAGE_RELEASE "\(.*\)")$/\1/p' "$BIN/CPackConfig.cmake")"
check "the build tree's CPack config names a package revision" test -n "$revision"

package() {  # package DIR CPACK_ARGS...: runs CPack, prints its log on failure
  local dir="$1"; shift
  local start=$SECONDS
  if ! cpack -G DEB --config "$BIN/CPackConfig.cmake" -B "$dir" "$@" >"$dir.log" 2>&1; then
    cat "$dir.log"
    echo "FAIL cpack $*"
    exit 1
  fi
  echo "     cpack $(basename "$dir"): $((SECONDS - start)) s"
}

package "$OUT/current"
package "$OUT/upgrade" -D CPACK_DEBIAN_PACKAGE_RELEASE="$revision+upgrade1" -D CPACK_TILLBRIDGE_DBGSYM=OFF

CURRENT_DEB="$(ls "$OUT"/current/tillbridge_*.deb)"
DBGSYM_DEB="$(ls "$OUT"/current/tillbridge-dbgsym_*.ddeb)"
UPGRADE_DEB="$(ls "$OUT"/upgrade/tillbridge_*.deb)"
check "one .deb and one dbgsym .ddeb" test -f "$CURRENT_DEB" -a -f "$DBGSYM_DEB"

# The second upgrade: the first one repacked with a changed default config.
tree="$OUT/upgrade2-tree"
dpkg-deb -R "$UPGRADE_DEB" "$tree"
printf '; A setting added by a later release.\n' >>"$tree/etc/tillbridge/tillbridge.ini"
sed -i "s/^Version: .*/Version: $(dpkg-deb -f "$UPGRADE_DEB" Version | sed 's/upgrade1$/upgrade2/')/" \
  "$tree/DEBIAN/control"
(cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | sort |
  xargs md5sum >DEBIAN/md5sums)
UPGRADE2_DEB="$OUT/tillbridge_upgrade2.deb"
dpkg-deb --root-owner-group -b "$tree" "$UPGRADE2_DEB" >/dev/null
rm -rf "$tree"

v1="$(dpkg-deb -f "$CURRENT_DEB" Version)"
v2="$(dpkg-deb -f "$UPGRADE_DEB" Version)"
v3="$(dpkg-deb -f "$UPGRADE2_DEB" Version)"
echo "     versions: $v1 < $v2 < $v3"
check "the upgrade packages are newer" dpkg --compare-versions "$v1" lt "$v2"
check "the second upgrade is newer still" dpkg --compare-versions "$v2" lt "$v3"
check "the second upgrade's default config differs" \
  bash -c "! cmp -s <(dpkg-deb --fsys-tarfile '$UPGRADE_DEB' | tar -xO ./etc/tillbridge/tillbridge.ini) \
                    <(dpkg-deb --fsys-tarfile '$UPGRADE2_DEB' | tar -xO ./etc/tillbridge/tillbridge.ini)"

cat >"$OUT/debs.env" <<EOF
CURRENT_DEB='$CURRENT_DEB'
DBGSYM_DEB='$DBGSYM_DEB'
UPGRADE_DEB='$UPGRADE_DEB'
UPGRADE2_DEB='$UPGRADE2_DEB'
EOF
ls -l "$CURRENT_DEB" "$DBGSYM_DEB" "$UPGRADE_DEB" "$UPGRADE2_DEB" | awk '{print "     " $5 "  " $9}'
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
