#!/usr/bin/env bash
# The packaged unit under a real systemd: a clean Debian 12 root with the
# .deb installed is booted with systemd-nspawn (private network, so the
# agent's loopback ports are the container's own), and the test checks
#   - the service starts at boot and logs to the journal;
#   - it runs as tillbridge with dialout, no capabilities, no new privileges,
#     a seccomp filter, a read-only OS and a writable /var/lib/tillbridge;
#   - it can open a tty its groups allow (a serial port stand-in: a pty
#     owned by dialout) and cannot open one they do not;
#   - the local API answers on loopback when this build has one;
#   - a crash is restarted (Restart=on-failure), bad configuration (exit 2)
#     is not restarted in a loop, and stop is clean.
#   service_test.sh DEBS_DIR CACHE_DIR
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=debian_root.sh
. "$HERE/debian_root.sh"
DEBS="$1"
CACHE="$2"
require_root_tools
if ! command -v systemd-nspawn >/dev/null; then
  echo "SKIP: systemd-nspawn is not installed (package systemd-container)"
  exit "$kSkip"
fi
# shellcheck disable=SC1091
. "$DEBS/debs.env" || { echo "FAIL no $DEBS/debs.env (packaging_deb_build makes it)"; exit 1; }

failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
stage() { printf -- '--- %s (%d s)\n' "$*" "$((SECONDS - start))"; }
start=$SECONDS

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tillbridge-service.XXXXXX")"
ROOT="$WORK/root"
NSPAWN=""
cleanup() {
  if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
    kill "$NSPAWN" 2>/dev/null; sleep 1; kill -9 "$NSPAWN" 2>/dev/null
  fi
  wait 2>/dev/null
  remove_root "$ROOT"
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for() {  # wait_for SECONDS COMMAND...: polls until the command succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

stage "clean Debian 12 root with the package"
make_root "$CACHE" "$ROOT" || { echo "FAIL cannot prepare the root"; exit 1; }
cp "$CURRENT_DEB" "$ROOT/tmp/"
if ! apt_install "$ROOT" "/tmp/$(basename "$CURRENT_DEB")" >"$WORK/install.log" 2>&1; then
  tail -30 "$WORK/install.log"
  echo "FAIL the package does not install"
  exit 1
fi
# The container must not share the apt cache mount or /proc of the chroot.
unmount_below "$ROOT"

stage "boot"
# nspawn prepares mount propagation under /run/systemd/nspawn and refuses
# to do so on a disk; hosts without systemd as init may not have a tmpfs
# there.
mkdir -p /run/systemd/nspawn
if [ "$(stat -f -c %T /run/systemd/nspawn)" != "tmpfs" ]; then
  mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
fi
systemd-nspawn --quiet --register=no --keep-unit --private-network \
  --machine="tillbridge-test-$$" -D "$ROOT" --boot >"$WORK/console.log" 2>&1 &
NSPAWN=$!
# The container's PID 1 is nspawn's child.
container_init() { pgrep -P "$NSPAWN" -x systemd | head -1; }
wait_for 30 bash -c "pgrep -P $NSPAWN -x systemd >/dev/null"
INIT="$(container_init)"
if [ -z "$INIT" ]; then
  tail -20 "$WORK/console.log"
  echo "FAIL the container did not boot"
  exit 1
fi
c() { nsenter -t "$INIT" -a -- "$@"; }   # run inside the container
booted() { c systemctl is-system-running 2>/dev/null | grep -Eq '^(running|degraded)$'; }
check "the container boots" wait_for 60 booted
active() { [ "$(c systemctl is-active tillbridge.service)" = active ]; }
check "tillbridge.service is active after boot" wait_for 20 active
main_pid() { c systemctl show -p MainPID --value tillbridge.service; }
PID="$(main_pid)"

stage "sandbox of the running agent (pid $PID in the container)"
status_field() { c awk -v f="$1:" '$1 == f {$1 = ""; sub(/^ /, ""); print}' "/proc/$PID/status"; }
check "runs as the user tillbridge" test "$(status_field Uid | awk '{print $1}')" = "$(c id -u tillbridge)"
check "has the dialout group" bash -c "tr ' ' '\n' <<<'$(status_field Groups)' | grep -qx '$(c getent group dialout | cut -d: -f3)'"
check "has no capabilities" test "$(status_field CapEff)" = "0000000000000000"
check "cannot gain privileges (NoNewPrivs)" test "$(status_field NoNewPrivs)" = "1"
check "runs under a seccomp filter" test "$(status_field Seccomp)" = "2"
mount_opts() { c nsenter -t "$PID" -m -- findmnt -n -o OPTIONS --target "$1" | cut -d, -f1; }
check "sees the OS read-only (ProtectSystem=strict)" test "$(mount_opts /usr)" = "ro"
check "sees /etc read-only" test "$(mount_opts /etc/tillbridge)" = "ro"
check "may write /var/lib/tillbridge" test "$(mount_opts /var/lib/tillbridge)" = "rw"
check "the OS has /root/.bashrc (control for the next check)" c test -e /root/.bashrc
check "does not see it (ProtectHome)" bash -c "! nsenter -t $INIT -a -- nsenter -t $PID -m -- test -e /root/.bashrc"
check "created its store as tillbridge" test "$(c stat -c %U /var/lib/tillbridge/tillbridge.db 2>/dev/null)" = "tillbridge"
c journalctl -u tillbridge.service --no-pager -o cat >"$WORK/journal.txt" 2>&1
check "logs to the journal" grep -q "starting with /etc/tillbridge/tillbridge.ini" "$WORK/journal.txt"

stage "serial ports"
# A pty stands in for a serial port: same open path, same group check. One
# owned by dialout must open under the unit's sandbox, one owned by root
# (mode 600) must not.
# Each pty is held open by a transient unit, which systemd stops at shutdown.
for name in allowed denied; do
  c systemd-run --quiet --unit="tty-$name" -p TimeoutStopSec=2 \
    script -qfc "tty >/run/tty-$name; exec sleep 600" /dev/null
done
tty_ready() { c test -s /run/tty-allowed && c test -s /run/tty-denied; }
wait_for 10 tty_ready
ALLOWED="$(c cat /run/tty-allowed)"
DENIED="$(c cat /run/tty-denied)"
echo "     ttys: $ALLOWED (root:dialout 660), $DENIED (root:root 600)"
c chgrp dialout "$ALLOWED"; c chmod 0660 "$ALLOWED"
c chown root:root "$DENIED"; c chmod 0600 "$DENIED"
probe() {  # probe TTY: restarts the unit with a pre-start step opening TTY
  c mkdir -p /run/systemd/system/tillbridge.service.d
  printf '[Service]\nExecStartPre=/bin/sh -c "exec 3<>%s && echo tty-probe-opened %s"\n' "$1" "$1" |
    c tee /run/systemd/system/tillbridge.service.d/tty-probe.conf >/dev/null
  c systemctl daemon-reload
  c systemctl restart tillbridge.service 2>/dev/null
  sleep 1
}
probe "$ALLOWED"
check "opens a tty owned by dialout under the unit's sandbox" \
  bash -c "nsenter -t $INIT -a -- journalctl -u tillbridge.service -o cat --no-pager | grep -q 'tty-probe-opened $ALLOWED'"
check "the agent runs after the tty probe" wait_for 10 active
probe "$DENIED"
check "cannot open a tty its groups do not allow" \
  bash -c "! nsenter -t $INIT -a -- journalctl -u tillbridge.service -o cat --no-pager | grep -q 'tty-probe-opened $DENIED'"
c rm -f /run/systemd/system/tillbridge.service.d/tty-probe.conf
c systemctl daemon-reload
c systemctl reset-failed tillbridge.service 2>/dev/null
c systemctl restart tillbridge.service
check "back to running without the probe" wait_for 10 active

stage "local API on loopback"
api_port="$(c tillbridge config-reference | awk -F'|' '/^## \[api\]/ {in_api = 1; next} /^## / {in_api = 0}
  in_api && $2 ~ /`port`/ {gsub(/[ `]/, "", $4); print $4}')"
if [ -n "$api_port" ]; then
  api_up() { c bash -c "exec 3<>/dev/tcp/127.0.0.1/$api_port" 2>/dev/null; }
  check "the local API accepts connections on 127.0.0.1:$api_port" wait_for 15 api_up
else
  echo "     this build has no [api] section; nothing listens on loopback"
fi

stage "restart on failure, no loop on bad configuration, clean stop"
PID="$(main_pid)"
c sh -c "kill -SEGV $PID"
restarted() { active && [ "$(main_pid)" != "$PID" ] && [ "$(main_pid)" != 0 ]; }
check "a crashed agent is restarted" wait_for 15 restarted
check "systemd counted the restart" test "$(c systemctl show -p NRestarts --value tillbridge.service)" -ge 1
c mkdir -p /run/systemd/system/tillbridge.service.d
printf '[Service]\nEnvironment=TILLBRIDGE_AGENT_STORE_ID=\n' |
  c tee /run/systemd/system/tillbridge.service.d/bad-config.conf >/dev/null
c systemctl daemon-reload
c systemctl restart tillbridge.service 2>/dev/null
failed() { [ "$(c systemctl is-active tillbridge.service)" = failed ]; }
check "bad configuration fails the unit" wait_for 10 failed
check "with exit status 2" test "$(c systemctl show -p ExecMainStatus --value tillbridge.service)" = 2
sleep 5
check "and is not restarted in a loop" failed
c journalctl -u tillbridge.service -o cat --no-pager >"$WORK/journal.txt" 2>&1
check "the journal names the bad key" grep -q "agent.store_id" "$WORK/journal.txt"
c rm -f /run/systemd/system/tillbridge.service.d/bad-config.conf
c systemctl daemon-reload
c systemctl reset-failed tillbridge.service
journal_cursor() { c journalctl -u tillbridge.service -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p'; }
logged_since() {  # logged_since CURSOR PATTERN: the unit logged PATTERN after CURSOR
  c journalctl -u tillbridge.service --after-cursor="$1" -o cat --no-pager >"$WORK/since.txt" 2>&1
  grep -q "$2" "$WORK/since.txt"
}
cursor="$(journal_cursor)"
c systemctl start tillbridge.service
check "starts again once the configuration is fixed" wait_for 10 active
# SIGTERM is handled once start-up is done (the agent logs "running").
check "and reports itself running" wait_for 15 logged_since "$cursor" "tillbridge.agent: running:"
cursor="$(journal_cursor)"
c systemctl stop tillbridge.service
check "stops cleanly" test "$(c systemctl show -p Result --value tillbridge.service)" = success
# journald files the service's output a moment after systemd's own lines.
check "the agent logged its orderly shutdown" wait_for 10 logged_since "$cursor" "tillbridge.agent: stopped$"
logged_since "$cursor" "tillbridge.agent: stopped$" || sed 's/^/     journal: /' "$WORK/since.txt"

stage "shutdown"
c systemctl stop tty-allowed.service tty-denied.service 2>/dev/null
# SIGRTMIN+4 asks systemd to power off (systemctl poweroff wants D-Bus).
kill -s RTMIN+4 "$INIT"
if ! wait_for 30 bash -c "! kill -0 $NSPAWN 2>/dev/null"; then
  echo "     the container did not power off in 30 s; killing it"
fi

stage "done"
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
