#!/usr/bin/env bash
# The .deb's life on a register, in a clean Debian 12 root (chroot):
#   install with apt (which must pull every library), --version, doctor as
#   the service user, systemd-analyze verify and the unit's exposure score;
#   the operator edits the config and the store holds data; upgrade to a
#   newer build (same default config), then to one whose default config
#   changed; both keep the edits and the store; remove keeps config and
#   data; purge deletes them.
#   install_test.sh DEBS_DIR CACHE_DIR
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=debian_root.sh
. "$HERE/debian_root.sh"
DEBS="$1"
CACHE="$2"
require_root_tools
# shellcheck disable=SC1091
. "$DEBS/debs.env" || { echo "FAIL no $DEBS/debs.env (packaging_deb_build makes it)"; exit 1; }

failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
stage() { printf -- '--- %s (%d s)\n' "$*" "$((SECONDS - start))"; }
start=$SECONDS

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tillbridge-install.XXXXXX")"
ROOT="$WORK/root"
trap 'remove_root "$ROOT"; rm -rf "$WORK"' EXIT
r() { in_root "$ROOT" "$@"; }             # run in the root
as_service_user() { r runuser -u tillbridge -- "$@"; }
version_installed() { r dpkg-query -W -f='${Version}' tillbridge 2>/dev/null; }
state_of() { r dpkg-query -W -f='${db:Status-Abbrev}' tillbridge 2>/dev/null | tr -d ' '; }
owner_mode() { r stat -c '%U:%G %a' "$1"; }

stage "clean Debian 12 root"
make_root "$CACHE" "$ROOT" || { echo "FAIL cannot prepare the root"; exit 1; }
check "the root has no Poco yet (apt must pull it)" bash -c "! ls '$ROOT'/usr/lib/x86_64-linux-gnu/libPocoFoundation* >/dev/null 2>&1"
cp "$CURRENT_DEB" "$UPGRADE_DEB" "$UPGRADE2_DEB" "$ROOT/tmp/"
in_root_path() { echo "/tmp/$(basename "$1")"; }

stage "install $(basename "$CURRENT_DEB")"
apt_install "$ROOT" "$(in_root_path "$CURRENT_DEB")" >"$WORK/install.log" 2>&1
rc=$?
check "apt-get install ./tillbridge_*.deb succeeds" test $rc -eq 0
[ $rc -eq 0 ] || { tail -30 "$WORK/install.log"; exit 1; }
echo "     apt pulled $(grep -c '^Setting up ' "$WORK/install.log") package(s)"
check "installed version is the package's" test "$(version_installed)" = "$(dpkg-deb -f "$CURRENT_DEB" Version)"
version_line="$(r tillbridge --version)"
echo "     $version_line"
check "tillbridge --version runs (every library resolved)" \
  bash -c "grep -Eq '^tillbridge [0-9]+\.[0-9]+\.[0-9]+' <<<'$version_line'"
check "no library is missing" bash -c "! chroot '$ROOT' ldd /usr/bin/tillbridge | grep -q 'not found'"

stage "service account, folders, permissions"
check "system user tillbridge exists" bash -c "chroot '$ROOT' getent passwd tillbridge | awk -F: '\$3 < 1000 && \$7 ~ /nologin/ {ok = 1} END {exit !ok}'"
check "tillbridge is in the dialout group" bash -c "chroot '$ROOT' id -Gn tillbridge | tr ' ' '\n' | grep -qx dialout"
check "/var/lib/tillbridge is tillbridge:tillbridge 750" test "$(owner_mode /var/lib/tillbridge)" = "tillbridge:tillbridge 750"
check "/var/log/tillbridge is tillbridge:tillbridge 750" test "$(owner_mode /var/log/tillbridge)" = "tillbridge:tillbridge 750"
check "the config is root:tillbridge 640" test "$(owner_mode /etc/tillbridge/tillbridge.ini)" = "root:tillbridge 640"
check "the environment file is root:tillbridge 640" test "$(owner_mode /etc/default/tillbridge)" = "root:tillbridge 640"
check "the service is enabled" test -L "$ROOT/etc/systemd/system/multi-user.target.wants/tillbridge.service"
check "dpkg --verify finds no changed file" bash -c "[ -z \"\$(chroot '$ROOT' dpkg --verify tillbridge)\" ]"

stage "doctor"
as_service_user tillbridge doctor >"$WORK/doctor.txt" 2>&1
rc=$?
sed 's/^/     /' "$WORK/doctor.txt"
check "tillbridge doctor passes with the packaged config" test $rc -eq 0
check "doctor created the store, owned by the service user" \
  test "$(owner_mode /var/lib/tillbridge/tillbridge.db | cut -d' ' -f1)" = "tillbridge:tillbridge"

stage "unit checks"
r systemd-analyze verify tillbridge.service >"$WORK/verify.txt" 2>&1
rc=$?
sed 's/^/     /' "$WORK/verify.txt"
check "systemd-analyze verify tillbridge.service is clean" bash -c "[ $rc -eq 0 ] && [ ! -s '$WORK/verify.txt' ]"
r systemd-analyze security --offline=yes --threshold=25 tillbridge.service >"$WORK/security.txt" 2>&1
rc=$?
grep -E "Overall exposure" "$WORK/security.txt" | sed 's/^/     /'
check "the unit's exposure level is at most 2.5 (systemd-analyze security)" test $rc -eq 0

stage "operator edits the config; the store holds data"
r sed -i 's/^store_id = .*/store_id = store-0042/' /etc/tillbridge/tillbridge.ini
echo 'TILLBRIDGE_AGENT_TERMINAL_ID=lane-7' >>"$ROOT/etc/default/tillbridge"
echo "spooled receipt" >"$ROOT/var/lib/tillbridge/operator-marker"
as_service_user tillbridge status --json >"$WORK/status.json" 2>&1
check "status runs and reads the edited config" grep -q 'store-0042' "$WORK/status.json"
cp "$ROOT/etc/tillbridge/tillbridge.ini" "$WORK/edited.ini"
cp "$ROOT/etc/default/tillbridge" "$WORK/edited.default"
store_sum="$(sha256sum <"$ROOT/var/lib/tillbridge/tillbridge.db")"

upgrade_checks() {  # upgrade_checks LABEL
  check "$1: the edited config is kept" cmp -s "$WORK/edited.ini" "$ROOT/etc/tillbridge/tillbridge.ini"
  check "$1: the edited environment file is kept" cmp -s "$WORK/edited.default" "$ROOT/etc/default/tillbridge"
  check "$1: the store is unchanged" test "$(sha256sum <"$ROOT/var/lib/tillbridge/tillbridge.db")" = "$store_sum"
  check "$1: other data files are kept" test -f "$ROOT/var/lib/tillbridge/operator-marker"
  check "$1: config permissions are kept" test "$(owner_mode /etc/tillbridge/tillbridge.ini)" = "root:tillbridge 640"
  check "$1: the data folder still belongs to tillbridge" test "$(owner_mode /var/lib/tillbridge)" = "tillbridge:tillbridge 750"
  check "$1: doctor passes" bash -c "chroot '$ROOT' runuser -u tillbridge -- tillbridge doctor >/dev/null"
}

stage "upgrade to $(basename "$UPGRADE_DEB") (same default config)"
apt_install "$ROOT" "$(in_root_path "$UPGRADE_DEB")" >"$WORK/upgrade.log" 2>&1
rc=$?
check "upgrade succeeds unattended" test $rc -eq 0
[ $rc -eq 0 ] || tail -20 "$WORK/upgrade.log"
check "upgrade: the new version is installed" test "$(version_installed)" = "$(dpkg-deb -f "$UPGRADE_DEB" Version)"
upgrade_checks "upgrade"
check "upgrade: no .dpkg-dist copy (the default did not change)" test ! -e "$ROOT/etc/tillbridge/tillbridge.ini.dpkg-dist"

stage "upgrade to a build whose default config changed"
apt_install "$ROOT" "$(in_root_path "$UPGRADE2_DEB")" >"$WORK/upgrade2.log" 2>&1
rc=$?
check "upgrade with a changed conffile succeeds unattended" test $rc -eq 0
[ $rc -eq 0 ] || tail -20 "$WORK/upgrade2.log"
check "second upgrade: the new version is installed" test "$(version_installed)" = "$(dpkg-deb -f "$UPGRADE2_DEB" Version)"
upgrade_checks "second upgrade"
check "second upgrade: the new default is beside it as tillbridge.ini.dpkg-dist" \
  grep -q "added by a later release" "$ROOT/etc/tillbridge/tillbridge.ini.dpkg-dist"

stage "remove"
r apt-get remove -y -q tillbridge >"$WORK/remove.log" 2>&1
check "apt-get remove succeeds" test $? -eq 0
check "remove: the binary is gone" test ! -e "$ROOT/usr/bin/tillbridge"
check "remove: dpkg keeps only the config (state rc)" test "$(state_of)" = "rc"
check "remove: the edited config is kept" cmp -s "$WORK/edited.ini" "$ROOT/etc/tillbridge/tillbridge.ini"
check "remove: the store is kept" test "$(sha256sum <"$ROOT/var/lib/tillbridge/tillbridge.db")" = "$store_sum"
check "remove: other data files are kept" test -f "$ROOT/var/lib/tillbridge/operator-marker"

stage "purge"
r apt-get purge -y -q tillbridge >"$WORK/purge.log" 2>&1
check "apt-get purge succeeds" test $? -eq 0
check "purge: dpkg no longer knows the package" test -z "$(state_of)"
for path in /etc/tillbridge /etc/default/tillbridge /var/lib/tillbridge /var/log/tillbridge \
            /etc/systemd/system/multi-user.target.wants/tillbridge.service \
            /lib/systemd/system/tillbridge.service; do
  check "purge: $path is gone" test ! -e "$ROOT$path" -a ! -L "$ROOT$path"
done
# Not ours: the packages under test in /tmp, apt's cache, and man-db's cache
# of formatted pages (systemd-analyze verify formats the man page).
leftovers="$(cd "$ROOT" && find . -xdev \( -path ./proc -o -path ./tmp -o -path ./var/cache/apt \
  -o -path ./var/cache/man \) -prune -o -name '*tillbridge*' -print)"
check "purge: no file named *tillbridge* is left" test -z "$leftovers"
[ -z "$leftovers" ] || sed 's/^/     left: /' <<<"$leftovers"
check "purge: the system user stays (Debian practice: its uid is not reused)" \
  bash -c "chroot '$ROOT' getent passwd tillbridge >/dev/null"

stage "done"
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
