#!/usr/bin/env bash
# Checks the built .deb without installing it: lintian shows no errors
# (warnings and notes are listed), the control fields IT relies on, the
# exact conffiles, the file list (nothing outside the agent's own paths),
# a stripped binary with its debug symbols in the dbgsym package, and a
# changelog whose top entry is the package version.
#   lint_test.sh DEBS_DIR     (made by build_debs.sh)
set -uo pipefail
DEBS="$1"
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
# shellcheck disable=SC1091
. "$DEBS/debs.env" || { echo "FAIL no $DEBS/debs.env (packaging_deb_build makes it)"; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if command -v lintian >/dev/null; then
  # lintian warns when run as root; that line is not about the package.
  lintian --display-info --pedantic "$CURRENT_DEB" "$DBGSYM_DEB" 2>&1 |
    grep -v "running with root privileges is not recommended" >"$WORK/lintian.txt"
  sed 's/^/     lintian: /' "$WORK/lintian.txt"
  check "lintian reports no errors" bash -c "! grep -q '^E:' '$WORK/lintian.txt'"
else
  echo "FAIL lintian is not installed (scripts/install-deps.sh test installs it)"
  failures=$((failures + 1))
fi

field() { dpkg-deb -f "$CURRENT_DEB" "$1"; }
check "Package is tillbridge" test "$(field Package)" = tillbridge
check "Maintainer is set" bash -c "dpkg-deb -f '$CURRENT_DEB' Maintainer | grep -Eq '^[^<]+ <[^>]+@[^>]+>$'"
check "Section is net" test "$(field Section)" = net
check "Homepage is set" bash -c "dpkg-deb -f '$CURRENT_DEB' Homepage | grep -q '^https://'"
check "Description has a synopsis and a long text" \
  bash -c "[ \$(dpkg-deb -f '$CURRENT_DEB' Description | wc -l) -ge 3 ]"
depends="$(field Depends)"
echo "     Depends: $depends"
for dep in adduser libc6 libstdc++6 libpocofoundation libsqlite3-0 libssl3; do
  check "Depends names $dep" bash -c "grep -q '\\b$dep' <<<'$depends'"
done

dpkg-deb --ctrl-tarfile "$CURRENT_DEB" | tar -x -C "$WORK" ./conffiles ./postinst ./prerm ./postrm
check "conffiles are exactly the config and the environment file" \
  test "$(sort "$WORK/conffiles")" = "$(printf '/etc/default/tillbridge\n/etc/tillbridge/tillbridge.ini')"
for script in postinst prerm postrm; do
  check "$script is valid POSIX sh" sh -n "$WORK/$script"
done

dpkg-deb -c "$CURRENT_DEB" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | sort >"$WORK/files.txt"
for path in /usr/bin/tillbridge /etc/tillbridge/tillbridge.ini /etc/default/tillbridge \
            /lib/systemd/system/tillbridge.service /usr/lib/modules-load.d/tillbridge.conf \
            /usr/share/man/man1/tillbridge.1.gz /usr/share/doc/tillbridge/copyright \
            /usr/share/doc/tillbridge/changelog.Debian.gz /usr/share/doc/tillbridge/install.md \
            /usr/share/doc/tillbridge/config.md; do
  check "ships $path" grep -qx "$path" "$WORK/files.txt"
done
unexpected="$(grep -vE '^(/usr/bin/tillbridge|/etc/tillbridge/tillbridge\.ini|/etc/default/tillbridge|/lib/systemd/system/tillbridge\.service|/usr/lib/modules-load\.d/tillbridge\.conf|/usr/share/man/man1/tillbridge\.1\.gz|/usr/share/lintian/overrides/tillbridge|/usr/share/doc/tillbridge/.*)$' "$WORK/files.txt")"
check "ships nothing else (no test tools, no files of other packages)" test -z "$unexpected"
[ -z "$unexpected" ] || sed 's/^/     unexpected: /' <<<"$unexpected"

dpkg-deb -x "$CURRENT_DEB" "$WORK/root"
check "the binary is stripped" bash -c "! readelf -S '$WORK/root/usr/bin/tillbridge' | grep -q '\\.debug_info'"
build_id="$(readelf -n "$WORK/root/usr/bin/tillbridge" | awk '/Build ID/ {print $3}')"
dpkg-deb -c "$DBGSYM_DEB" >"$WORK/dbgsym-files.txt"
check "the dbgsym package holds the binary's debug info (build id $build_id)" \
  grep -q "/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug" "$WORK/dbgsym-files.txt"
changelog_version="$(zcat "$WORK/root/usr/share/doc/tillbridge/changelog.Debian.gz" |
  dpkg-parsechangelog -l - -S Version)"
check "changelog's top entry ($changelog_version) is the package version" \
  test "$changelog_version" = "$(field Version)"
check "the man page renders without warnings" \
  bash -c "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l '$WORK/root/usr/share/man/man1/tillbridge.1.gz' 2>&1 >/dev/null | \
           { ! grep -q .; }"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
