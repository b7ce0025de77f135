#!/usr/bin/env bash
# The printer tap from a store manager's side, with the real executable:
#  - `tillbridge decode` on a capture made by the npm encoder: what each
#    receipt says, what the templates extract, why one matched nothing, and
#    clear errors for bad arguments;
#  - `tillbridge run` with the TCP tap, receipts printed over real sockets,
#    and `tillbridge status` (text and --json) telling unmatched receipts,
#    receipts with an invalid phone, loyalty numbers and the decode backlog.
set -uo pipefail
BIN="$1"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
AGENT=""
SINK=""
trap 'kill $AGENT $SINK 2>/dev/null; rm -rf "$WORK"' EXIT
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
unset TILLBRIDGE_CONFIG

node "$SRC/tests/js/printer/make-receipts.mjs" "$WORK/rc" > /dev/null || {
  echo "FAIL node make-receipts.mjs (run scripts/install-deps.sh test)"; exit 1; }
cat "$WORK/rc/01-corner-sale-cp437.bin" "$WORK/rc/10-report-unmatched.bin" \
    "$WORK/rc/05-bistro-cp858.bin" > "$WORK/capture.bin"

# --- decode ---------------------------------------------------------------
"$BIN" decode "$WORK/capture.bin" --templates "$SRC/examples/receipt-templates" \
  > "$WORK/decode.txt" 2> "$WORK/decode.err"; rc=$?
cat "$WORK/decode.txt" | sed 's/^/     | /' | head -20
check "decode exits 1 when a receipt matches no template" test $rc -eq 1
check "decode counts the receipts and names the command set" \
  grep -q "3 receipts" "$WORK/decode.txt"
check "decode recognises ESC/POS" grep -q "command set escpos" "$WORK/decode.txt"
check "decode shows the receipt text" grep -q "| Receipt: 100101" "$WORK/decode.txt"
check "decode shows the extracted total" grep -Eq "total +16\.71 USD" "$WORK/decode.txt"
check "decode shows the loyalty number" grep -Eq "loyalty number +M-20417" "$WORK/decode.txt"
check "decode decodes CP858 (euro, umlauts)" grep -q "Käsespätzle" "$WORK/decode.txt"
check "decode masks the card number" grep -q "4111 11\*\* \*\*\*\* 1111" "$WORK/decode.txt"
check "decode never prints the card number" bash -c "! grep -q '4111 1111 1111 1111' '$WORK/decode.txt'"
check "decode masks the phone it extracted" grep -Eq "phone +\+1\*+0134" "$WORK/decode.txt"
check "decode explains the unmatched receipt per template" \
  grep -q "template 'corner-market' (10-corner-market.tbt:3): its match rule" "$WORK/decode.txt"
check "decode sums up" grep -q "2 of 3 receipts matched a template; 1 unmatched" "$WORK/decode.txt"

"$BIN" decode "$WORK/rc/01-corner-sale-cp437.bin" \
  --templates "$SRC/examples/receipt-templates" > /dev/null; rc=$?
check "decode exits 0 when every receipt matched" test $rc -eq 0
"$BIN" decode "$WORK/capture.bin" > "$WORK/plain.txt"; rc=$?
check "decode without templates shows the text only" grep -q "showing the text only" "$WORK/plain.txt"
check "decode without templates exits 0" test $rc -eq 0
"$BIN" decode > /dev/null 2> "$WORK/err.txt"; rc=$?
check "decode without a file exits 2" test $rc -eq 2
check "decode without a file says what it needs" grep -q "needs the capture file" "$WORK/err.txt"
"$BIN" decode "$WORK/missing.bin" > /dev/null 2> "$WORK/err.txt"; rc=$?
check "decode of a missing file exits 2 naming it" bash -c "test $rc -eq 2 && grep -q 'missing.bin' '$WORK/err.txt'"
"$BIN" decode "$WORK/capture.bin" --command-set epson > /dev/null 2> "$WORK/err.txt"; rc=$?
check "a bad --command-set exits 2 listing the choices" \
  bash -c "test $rc -eq 2 && grep -q 'choose auto, escpos or star' '$WORK/err.txt'"
printf '[template broken]\ntotal = ^TOTAL (\n' > "$WORK/broken.tbt"
"$BIN" decode "$WORK/capture.bin" --templates "$WORK/broken.tbt" > /dev/null 2> "$WORK/err.txt"; rc=$?
check "a broken template exits 2 naming file and line" \
  bash -c "test $rc -eq 2 && grep -q 'broken.tbt:' '$WORK/err.txt'"
check "decode is in --help" bash -c "'$BIN' --help | grep -q 'decode FILE'"

# --- the running tap and status -------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PRINTER_PORT=$(free_port)
TAP_PORT=$(free_port)
# A printer that takes everything (one connection after another).
python3 - "$PRINTER_PORT" "$WORK/printed.bin" <<'PY' &
import socket, sys
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1]))); server.listen(8)
with open(sys.argv[2], "ab") as out:
    while True:
        conn, _ = server.accept()
        while True:
            data = conn.recv(65536)
            if not data: break
            out.write(data); out.flush()
        conn.close()
PY
SINK=$!

cat > "$WORK/t.ini" <<INI
[agent]
store_id = tap-store
terminal_id = lane-2
data_dir = data
[log]
console = true
file = data/agent.log
[api]
enabled = false
[printer]
enabled = true
mode = tcp
listen_address = 127.0.0.1
listen_port = $TAP_PORT
printer_host = 127.0.0.1
printer_port_tcp = $PRINTER_PORT
templates = $SRC/examples/receipt-templates
time_zone = UTC
INI
"$BIN" run --config "$WORK/t.ini" 2> "$WORK/run.log" &
AGENT=$!
for _ in $(seq 1 200); do
  grep -q "running" "$WORK/run.log" 2>/dev/null && break
  sleep 0.05
done
check "agent with the printer tap is running" kill -0 $AGENT

# A sale with a loyalty number, one whose phone is no valid number, and a
# shift report no template matches: each on its own connection.
python3 - "$TAP_PORT" "$WORK/rc" <<'PY'
import socket, sys, time
port, rc = int(sys.argv[1]), sys.argv[2]
sale = open(f"{rc}/01-corner-sale-cp437.bin", "rb").read()
bad_phone = sale.replace(b"100101", b"100191").replace(b"(415) 555-0134", b"(000) 000-0000")
report = open(f"{rc}/10-report-unmatched.bin", "rb").read()
for job in (sale, bad_phone, report):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(job); s.shutdown(socket.SHUT_WR)
    s.settimeout(3)
    try:
        while s.recv(4096): pass
    except OSError: pass
    s.close(); time.sleep(0.1)
PY

# Wait up to 30 s: a loaded machine may take a while to decode and store.
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
  "$BIN" status --config "$WORK/t.ini" > "$WORK/status.txt" 2>&1
  grep -q "unmatched receipts: *1" "$WORK/status.txt" && grep -q "2 records" "$WORK/status.txt" &&
    grep -Eq "decode backlog: +0 bytes" "$WORK/status.txt" && break
  sleep 0.1
done
sed 's/^/     | /' "$WORK/status.txt"
check "status: source line spaced and ok" grep -Eq "^  source printer ok; 2 records" "$WORK/status.txt"
check "status: receipts decoded" grep -Eq "receipts decoded: +3" "$WORK/status.txt"
check "status: unmatched receipts with the log's place" \
  grep -Eq "unmatched receipts: +1 \(kept in .*unmatched-receipts.log\)" "$WORK/status.txt"
check "status: receipts with an invalid phone" \
  grep -Eq "receipts with an invalid phone: +1" "$WORK/status.txt"
check "status: loyalty numbers" grep -Eq "receipts with a loyalty number: +2" "$WORK/status.txt"
check "status: decode backlog" grep -Eq "decode backlog: +0 bytes" "$WORK/status.txt"
check "status: command set" grep -Eq "command set: +escpos" "$WORK/status.txt"
"$BIN" status --config "$WORK/t.ini" --json > "$WORK/status.json"
check "status --json carries the tap's details" python3 -c "
import json
d = json.load(open('$WORK/status.json'))
src = [s for s in d['sources'] if s['name'] == 'printer'][0]
det = src['details']
assert src['records'] == 2, src
assert det['unmatched_receipts'] == 1, det
assert det['invalid_phone_receipts'] == 1, det
assert det['loyalty_numbers'] == 2, det
assert det['decode_backlog_bytes'] == 0, det
assert det['command_set'] == 'escpos', det
"
check "the printer got every byte" \
  python3 -c "import os; assert os.path.getsize('$WORK/printed.bin') > 1500"

# kill -9 while a burst is still being decoded: after the restart every
# receipt is stored, none twice (the journal resumes at the store's cursor).
python3 - "$TAP_PORT" "$WORK/rc" <<'PY'
import socket, sys
port, rc = int(sys.argv[1]), sys.argv[2]
sale = open(f"{rc}/01-corner-sale-cp437.bin", "rb").read()
burst = b"".join(sale.replace(b"100101", str(300000 + i).encode()) for i in range(400))
s = socket.create_connection(("127.0.0.1", port))
s.sendall(burst); s.shutdown(socket.SHUT_WR)
s.settimeout(5)
try:
    while s.recv(65536): pass
except OSError: pass
s.close()
PY
kill -KILL $AGENT; wait $AGENT 2>/dev/null
before=$(python3 -c "import json,subprocess; print(json.loads(subprocess.run(['$BIN','status','--config','$WORK/t.ini','--json'],capture_output=True,text=True).stdout)['transactions'])")
echo "     stored before kill -9 took effect: $before of 402"
"$BIN" run --config "$WORK/t.ini" 2>> "$WORK/run.log" &
AGENT=$!
count=0
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
  count=$(python3 -c "import json,subprocess; print(json.loads(subprocess.run(['$BIN','status','--config','$WORK/t.ini','--json'],capture_output=True,text=True).stdout)['transactions'])" 2>/dev/null || echo 0)
  [ "$count" = "402" ] && break
  sleep 0.1
done
check "after kill -9 and a restart all 402 sales are stored" test "$count" = "402"
sleep 1.5
count=$(python3 -c "import json,subprocess; print(json.loads(subprocess.run(['$BIN','status','--config','$WORK/t.ini','--json'],capture_output=True,text=True).stdout)['transactions'])")
check "and none twice" test "$count" = "402"
check "the outbox holds one event per sale" python3 -c "
import sqlite3
db = sqlite3.connect('file:$WORK/data/tillbridge.db?mode=ro', uri=True)
n = db.execute(\"SELECT count(*) FROM outbox WHERE type LIKE 'transaction.%'\").fetchone()[0]
acked = db.execute(\"SELECT count(*) FROM transactions\").fetchone()[0]
assert n == 402 and acked == 402, (n, acked)
"

kill -TERM $AGENT; wait $AGENT; rc=$?
AGENT=""
check "agent stops cleanly" test $rc -eq 0
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"; sed 's/^/     log| /' "$WORK/run.log" | tail -30
  exit 1
fi
echo "all printer CLI checks passed"
