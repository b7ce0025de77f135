#!/usr/bin/env bash
# Drives the real tillbridge executable against its own data folder:
#  - under umask 022, the data folder, store, WAL, log and API token are
#    kept from other local users (an old 0755 folder and a 0644 token are
#    tightened; doctor fails a loose token with the fix);
#  - a full disk and a read-only disk are reported in those words by
#    /healthz, status and doctor, and at start-up (root only: it mounts a
#    small tmpfs).
set -uo pipefail
BIN="$1"
umask 022
WORK="$(mktemp -d)"
AGENT=""
MOUNTED=""
cleanup() {
  [ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
  [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
failures=0
passed=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; passed=$((passed + 1)); else echo "FAIL $what"; failures=$((failures + 1)); fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mode_of() { stat -c %a "$1"; }
# True when neither the group may write nor others may do anything.
private() { local m; m=$((8#$(mode_of "$1"))); [ $((m & 8#027)) -eq 0 ]; }
has() { [[ "$1" == *"$2"* ]]; }        # has TEXT PART
starts() { [[ "$1" == "$2"* ]]; }      # starts TEXT PREFIX
health() {  # health PORT -> "<status code> <body>"
  python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=5)
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}
write_config() {  # write_config FILE DATA_DIR PORT
  cat > "$1" <<INI
[agent]
store_id = privacy-store
terminal_id = lane-1
data_dir = $2
[log]
console = true
file = $2/agent.log
[api]
enabled = true
port = $3
INI
}
start_agent() {  # start_agent CONFIG LOG
  "$BIN" run --config "$1" >"$2" 2>&1 &
  AGENT=$!
  for _ in $(seq 1 200); do
    grep -q "running" "$2" && return 0
    kill -0 "$AGENT" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
stop_agent() {
  kill -TERM "$AGENT" 2>/dev/null
  wait "$AGENT" 2>/dev/null
  AGENT=""
}

# --- Modes under umask 022 ----------------------------------------------------
DATA="$WORK/data"
mkdir -m 0755 "$DATA"  # as an earlier version (or a hand-made folder) left it
printf 'a-hand-made-token-0123456789abcdef0123456789\n' > "$DATA/api-token"
chmod 0644 "$DATA/api-token"
PORT="$(free_port)"
write_config "$WORK/agent.ini" "$DATA" "$PORT"

"$BIN" doctor --config "$WORK/agent.ini" > "$WORK/doctor1.txt" 2>&1; rc=$?
check "doctor fails a token file that others can read" test $rc -ne 0
check "doctor names the token file and the fix" \
  grep -q "API token file $DATA/api-token: readable by other users" "$WORK/doctor1.txt"
check "doctor says how to fix it" grep -q "fix: chmod 600 $DATA/api-token" "$WORK/doctor1.txt"

check "the agent starts" start_agent "$WORK/agent.ini" "$WORK/run1.log"
check "start-up says it tightened the token file" \
  grep -q "was readable by other users; restricted it" "$WORK/run1.log"
for path in "$DATA" "$DATA/tillbridge.db" "$DATA/tillbridge.db-wal" "$DATA/tillbridge.db-shm" \
            "$DATA/agent.log" "$DATA/api-token"; do
  if [ -e "$path" ]; then
    check "$(basename "$path") is not open to other users (mode $(mode_of "$path"))" private "$path"
  else
    check "$(basename "$path") exists" false
  fi
done
check "the API token is for its owner only (0600)" test "$(mode_of "$DATA/api-token")" = 600
reply="$(health "$PORT")"
check "/healthz answers 200" starts "$reply" 200
check "/healthz reports a writable store" has "$reply" '"store":"writable"'
stop_agent
"$BIN" doctor --config "$WORK/agent.ini" > "$WORK/doctor2.txt" 2>&1
check "doctor passes the token file now" grep -q "^ok    API token file" "$WORK/doctor2.txt"

# A store made under umask 022 from scratch.
FRESH="$WORK/fresh"
write_config "$WORK/fresh.ini" "$FRESH" "$(free_port)"
check "a fresh agent starts" start_agent "$WORK/fresh.ini" "$WORK/run2.log"
for path in "$FRESH" "$FRESH/tillbridge.db" "$FRESH/agent.log" "$FRESH/api-token"; do
  check "fresh $(basename "$path") is private (mode $(mode_of "$path"))" private "$path"
done
stop_agent

# --- A full disk and a read-only disk (root only) ------------------------------
if [ "$(id -u)" -ne 0 ]; then
  echo "skip the disk-full checks: mounting a small disk needs root (CI runs as root)"
else
  DISK="$WORK/disk"
  mkdir "$DISK"
  if mount -t tmpfs -o size=8m tmpfs "$DISK"; then
    MOUNTED="$DISK"
    PORT="$(free_port)"
    write_config "$WORK/disk.ini" "$DISK/data" "$PORT"
    check "the agent starts on the small disk" start_agent "$WORK/disk.ini" "$WORK/run3.log"
    dd if=/dev/zero of="$DISK/filler" bs=64k >/dev/null 2>&1
    sleep 1.2  # /healthz reuses its write check for a second
    reply="$(health "$PORT")"
    echo "     /healthz on a full disk: $reply"
    check "/healthz answers 503 on a full disk" starts "$reply" 503
    check "/healthz reports disk_full" has "$reply" '"store":"disk_full"'
    check "/healthz says the disk is full" has "$reply" "the disk is full"
    "$BIN" status --config "$WORK/disk.ini" > "$WORK/status.txt" 2>&1; rc=$?
    check "status fails on a full disk" test $rc -ne 0
    check "status says the disk is full" grep -q "store writes  FAILING: the disk is full" "$WORK/status.txt"
    "$BIN" doctor --config "$WORK/disk.ini" > "$WORK/doctor3.txt" 2>&1
    check "doctor says the disk is full, with the fix" \
      grep -q "fix: free disk space" "$WORK/doctor3.txt"
    check "doctor's store line says the disk is full" grep -q "the disk is full" "$WORK/doctor3.txt"
    rm -f "$DISK/filler"
    sleep 1.2
    reply="$(health "$PORT")"
    check "/healthz is ok again once there is room" starts "$reply" 200
    stop_agent

    # Starting with a new store on a full disk.
    dd if=/dev/zero of="$DISK/filler" bs=64k >/dev/null 2>&1
    write_config "$WORK/new.ini" "$DISK/new" "$(free_port)"
    "$BIN" run --config "$WORK/new.ini" > "$WORK/run4.log" 2>&1; rc=$?
    echo "     start-up on a full disk: $(grep -m1 'cannot start' "$WORK/run4.log")"
    check "start-up on a full disk fails" test $rc -ne 0
    check "start-up on a full disk says the disk is full" grep -q "the disk is full" "$WORK/run4.log"
    rm -f "$DISK/filler"

    # The disk is read-only (a failing disk remounted by the kernel, a
    # locked-down image): status and start-up say the folder cannot be written.
    if mount -o remount,ro "$DISK"; then
      "$BIN" status --config "$WORK/disk.ini" > "$WORK/status-ro.txt" 2>&1; rc=$?
      echo "     status on a read-only disk: $(grep -m1 'store writes\|tillbridge status' "$WORK/status-ro.txt")"
      check "status fails on a read-only disk" test $rc -ne 0
      check "status says the folder cannot be written" grep -q "cannot be written" "$WORK/status-ro.txt"
      "$BIN" run --config "$WORK/disk.ini" > "$WORK/run5.log" 2>&1; rc=$?
      echo "     start-up on a read-only disk: $(grep -m1 'cannot start' "$WORK/run5.log")"
      check "start-up on a read-only disk fails" test $rc -ne 0
      check "start-up on a read-only disk says why" grep -q "cannot be written" "$WORK/run5.log"
      mount -o remount,rw "$DISK"
    else
      check "the small disk can be made read-only" false
    fi
  else
    echo "skip the disk-full checks: cannot mount a tmpfs here"
  fi
fi

echo "$passed passed, $failures failed"
[ $failures -eq 0 ]
