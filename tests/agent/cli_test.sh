#!/usr/bin/env bash
# Drives the real tillbridge executable: help, version, run + status +
# SIGTERM, and config errors (exit code 2 naming the key).
set -uo pipefail
BIN="$1"
WORK="$(mktemp -d)"
trap 'kill $AGENT 2>/dev/null; rm -rf "$WORK"' EXIT
AGENT=""
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}

cat > "$WORK/t.ini" <<INI
[agent]
store_id = cli-store
terminal_id = lane-9
data_dir = data
[log]
console = true
file = data/agent.log
INI
# Keep the test independent of module keys' defaults that bind ports.
export TILLBRIDGE_CONFIG="$WORK/t.ini"

"$BIN" --help > "$WORK/help.txt"; rc=$?
check "--help exits 0" test $rc -eq 0
check "--help lists the commands" grep -q "consents verify" "$WORK/help.txt"
check "--version prints the version" bash -c "'$BIN' --version | grep -Eq '^tillbridge [0-9]+\.[0-9]+\.[0-9]+$'"
"$BIN" frobnicate >/dev/null 2>"$WORK/err.txt"; rc=$?
check "unknown command exits 2" test $rc -eq 2
check "unknown command is named" grep -q "unknown command 'frobnicate'" "$WORK/err.txt"

"$BIN" status --config "$WORK/t.ini" >/dev/null 2>"$WORK/err.txt"; rc=$?
check "status before first run exits 1 and explains" test $rc -eq 1
check "status names the missing store" grep -q "no store at" "$WORK/err.txt"

"$BIN" run --config "$WORK/t.ini" 2>"$WORK/run.log" &
AGENT=$!
for _ in $(seq 1 100); do
  [ -f "$WORK/data/tillbridge.db" ] && grep -q "running" "$WORK/run.log" && break
  sleep 0.05
done
check "agent is running" kill -0 $AGENT
"$BIN" status --config "$WORK/t.ini" > "$WORK/status.txt"; rc=$?
check "status exits 0" test $rc -eq 0
check "status shows the store" grep -q "store cli-store, terminal lane-9" "$WORK/status.txt"
"$BIN" status --config "$WORK/t.ini" --json > "$WORK/status.json"
check "status --json is JSON with the outbox depth" python3 -c "
import json,sys; d=json.load(open('$WORK/status.json')); assert d['outbox']['depth']==0; assert 'api_url' in d; assert d['store_id']=='cli-store'"
"$BIN" doctor --config "$WORK/t.ini" > "$WORK/doctor.txt"; rc=$?
check "doctor prints one line per check" grep -q "^ok    store" "$WORK/doctor.txt"

start=$(date +%s%N)
kill -TERM $AGENT
wait $AGENT; rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "     SIGTERM -> exit in ${elapsed_ms} ms"
check "SIGTERM stops the agent cleanly" test $rc -eq 0
check "SIGTERM stops the agent within 1 s" test $elapsed_ms -lt 1000
check "log file written" grep -q "stopped" "$WORK/data/agent.log"

sed 's/^store_id/store_idd/' "$WORK/t.ini" > "$WORK/bad.ini"
"$BIN" run --config "$WORK/bad.ini" >/dev/null 2>"$WORK/err.txt"; rc=$?
check "misspelled key exits 2" test $rc -eq 2
check "misspelled key is named with file and line" grep -q "bad.ini:2: unknown key 'agent.store_idd' (did you mean 'agent.store_id'?)" "$WORK/err.txt"
printf '[log]\nlevel = chatty\n' > "$WORK/bad2.ini"
"$BIN" status --config "$WORK/bad2.ini" >/dev/null 2>"$WORK/err.txt"; rc=$?
check "bad value exits 2" test $rc -eq 2
check "bad value names key and reason" grep -q "key 'log.level': must be one of" "$WORK/err.txt"
"$BIN" run --config "$WORK/missing.ini" >/dev/null 2>"$WORK/err.txt"; rc=$?
check "missing config file exits 2" test $rc -eq 2

echo "$(( 20 - failures )) passed, $failures failed"
[ $failures -eq 0 ]
