#!/usr/bin/env bash
# The Windows agent (tillbridge.exe, cross-built) under Wine, against real
# servers on this machine's loopback, as on a register:
#   - --version, --help and doctor answer;
#   - it reads the demo POS (SQLite, written by the Linux register simulator),
#     and every sale reaches the reference cloud exactly once, also across a
#     restart of the agent;
#   - it serves the local API and the cashier page; an opt-in captured there
#     reaches the cloud, and a STOP texted to the cloud comes back to the
#     local lookup;
#   - its TCP printer tap forwards real ESC/POS receipts (from the npm
#     encoder) to the printer byte for byte, and decodes them into sales.
#
#   agent_wine_test.sh WINDOWS_BUILD_DIR LINUX_BUILD_DIR OUT_DIR
set -uo pipefail
WIN_BUILD="$(cd "$1" && pwd)"
LINUX_BUILD="$2"
OUT="$3"
SRC="${TILLBRIDGE_SOURCE_DIR:?run from ctest}"
HERE="$SRC/tests/windows"
# shellcheck source=wine_env.sh
. "$HERE/wine_env.sh"

EXE="$WIN_BUILD/agent/tillbridge.exe"
CLOUD_BIN="$LINUX_BUILD/tools/refcloud/tillbridge-refcloud"
SIM_BIN="$LINUX_BUILD/tools/register-sim/tillbridge-register-sim"
for program in "$EXE" "$CLOUD_BIN" "$SIM_BIN"; do
  if [ ! -x "$program" ]; then
    echo "SKIP: $program is missing (build the release preset first: scripts/test.sh does)"
    exit 77
  fi
done
for tool in wine python3 curl sqlite3 node openssl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

rm -rf "$OUT"
mkdir -p "$OUT/data"
PIDS=()
AGENT_PID=""
cleanup() {
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wine_env_stop
  wait 2>/dev/null
}
trap cleanup EXIT
wine_env_start "$OUT/wineprefix" "$WIN_BUILD/wine-dlls"

# --- The program itself ------------------------------------------------------
version="$(wine "$EXE" --version 2>&1 | tr -d '\r')"
check "tillbridge.exe --version ($version)" bash -c "[[ '$version' == 'tillbridge '[0-9]* ]]"
wine "$EXE" --help 2>&1 | tr -d '\r' >"$OUT/help.txt"
check "--help lists the commands and the Windows config path" \
  bash -c "grep -q '^Usage: tillbridge COMMAND' '$OUT/help.txt' && grep -q 'ProgramData' '$OUT/help.txt'"

# --- The servers: reference cloud, demo POS, a printer -----------------------
"$CLOUD_BIN" --port 0 --db "$OUT/cloud.db" --token wine-cloud-token --admin-token wine-admin \
  --seed 11 >"$OUT/cloud.out" 2>"$OUT/cloud.log" &
PIDS+=($!)
wait_for 10 grep -q "refcloud listening" "$OUT/cloud.out"
CLOUD_PORT="$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$OUT/cloud.out" | head -1)"
CLOUD="http://127.0.0.1:$CLOUD_PORT"
admin() { curl -s -H "Authorization: Bearer wine-admin" -H 'Content-Type: application/json' "$@"; }

"$SIM_BIN" --db "$OUT/pos.db" --count 12 --rate 600/min --seed 5 --complete-after 1 --quiet \
  >"$OUT/register.log" 2>&1
check "the register simulator rang up sales on the demo POS" test -s "$OUT/pos.db"

# The printer: accepts connections on a free port and keeps every byte.
PRINTER_PORT="$(free_port)"
python3 - "$PRINTER_PORT" "$OUT/printed.bin" >"$OUT/printer.log" 2>&1 <<'PY' &
import socket, sys
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        connection, _ = server.accept()
        with connection:
            while True:
                data = connection.recv(65536)
                if not data:
                    break
                out.write(data)
PY
PIDS+=($!)

API_PORT="$(free_port)"
TAP_PORT="$(free_port)"
cat >"$OUT/agent.ini" <<EOF
[agent]
store_id = wine-store
terminal_id = lane-w
data_dir = $(to_windows "$OUT/data")
default_region = US

[log]
level = information
console = true

[api]
enabled = true
listen_address = 127.0.0.1
port = $API_PORT

[pos]
enabled = true
profile = demo
database = $(to_windows "$OUT/pos.db")
poll_interval = 250ms
start_from = beginning
time_zone = UTC

[printer]
enabled = true
mode = tcp
listen_address = 127.0.0.1
listen_port = $TAP_PORT
printer_host = 127.0.0.1
printer_port_tcp = $PRINTER_PORT
templates = $(to_windows "$SRC/examples/receipt-templates")
currency = USD
time_zone = UTC

[cloud]
enabled = true
url = $CLOUD
token = wine-cloud-token
allow_plain_http = true
long_poll_timeout = 2s
backoff_initial = 200ms
backoff_max = 2s
EOF
CONFIG="$(to_windows "$OUT/agent.ini")"

wine "$EXE" doctor --config "$CONFIG" 2>&1 | tr -d '\r' >"$OUT/doctor.txt"
doctor_rc=${PIPESTATUS[0]}
cat "$OUT/doctor.txt"
check "doctor passes every check under Windows (exit $doctor_rc)" test "$doctor_rc" -eq 0
check "doctor checked the POS database and the cloud" \
  bash -c "grep -q 'POS database' '$OUT/doctor.txt' && grep -qi 'cloud' '$OUT/doctor.txt'"

start_agent() {
  wine "$EXE" run --config "$CONFIG" >>"$OUT/agent.out" 2>&1 &
  AGENT_PID=$!
  wait_for 60 curl -sf "http://127.0.0.1:$API_PORT/healthz" -o /dev/null
}
stop_agent() {
  # A console program under Wine stops on Ctrl-C's equivalent; taskkill
  # /f would be a crash, which the Linux kill tests cover.
  kill -INT "$AGENT_PID" 2>/dev/null
  wait_for 30 bash -c "! kill -0 $AGENT_PID 2>/dev/null" || kill -9 "$AGENT_PID" 2>/dev/null
  wait "$AGENT_PID" 2>/dev/null
  AGENT_PID=""
}

start_agent
check "the Windows agent serves /healthz on 127.0.0.1:$API_PORT" \
  curl -sf "http://127.0.0.1:$API_PORT/healthz" -o /dev/null
TOKEN="$(wine "$EXE" api-token --config "$CONFIG" 2>/dev/null | tr -d '\r')"
api() { curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
API="http://127.0.0.1:$API_PORT"
check "the cashier page is served" bash -c "curl -s '$API/' | grep -qi '<html'"

# --- Sales from the demo POS reach the cloud exactly once ---------------------
# Every ticket that was paid (refunded ones were paid first) is one
# transaction.completed at the cloud, with nothing repeated.
sqlite3 "$OUT/pos.db" "SELECT ticket_id FROM tickets WHERE status IN ('paid','refunded')
                       ORDER BY ticket_id" >"$OUT/pos-paid.txt"
cloud_completed() {
  admin "$CLOUD/admin/events?limit=10000" | python3 -c '
import json, sys
events = json.load(sys.stdin)["events"]
print("\n".join(sorted((e["pos_id"] for e in events if e["type"] == "transaction.completed"), key=int)))'
}
paid_count="$(wc -l <"$OUT/pos-paid.txt")"
check "the demo POS has paid tickets ($paid_count)" test "$paid_count" -gt 0
wait_for 60 bash -c "[ \"\$($(declare -f admin cloud_completed); CLOUD=$CLOUD; cloud_completed | wc -l)\" -ge $paid_count ]"
cloud_completed >"$OUT/cloud-completed.txt"
check "every paid POS ticket is one transaction.completed at the cloud" \
  diff "$OUT/pos-paid.txt" "$OUT/cloud-completed.txt"
# From here on the printer tap adds sales of its own: each POS ticket must
# be there, and no POS id twice.
exactly_once() {
  [ -z "$(sort "$OUT/cloud-completed.txt" | uniq -d)" ] &&
    [ -z "$(comm -23 <(sort "$OUT/pos-paid.txt") <(sort -u "$OUT/cloud-completed.txt"))" ]
}
stats() { admin "$CLOUD/admin/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
check "the cloud applied no effect twice" test "$(stats effects_repeated)" = 0
before_restart="$(stats events_distinct)"

# --- Counter opt-in up, STOP down --------------------------------------------
PHONE="+14155550173"
for purpose in transactional marketing; do
  api -X POST "$API/v1/consents" -d "{\"phone\":\"(415) 555-0173\",\"purpose\":\"$purpose\",
    \"granted\":true,\"method\":\"customer_display\",\"disclosure_version\":\"1\",
    \"cashier_id\":\"wine\"}" >"$OUT/consent-$purpose.json"
done
check "the counter opt-in was recorded" grep -q '"opted_in"' "$OUT/consent-marketing.json"
contact_state() {
  admin "$CLOUD/admin/contacts/%2B14155550173" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["marketing"])' 2>/dev/null
}
check "the opt-in reached the cloud" wait_for 30 bash -c \
  "[ \"\$($(declare -f admin contact_state); CLOUD=$CLOUD; contact_state)\" = opted_in ]"
admin -X POST "$CLOUD/admin/inbound-sms" -d "{\"phone\":\"$PHONE\",\"text\":\"STOP\"}" \
  >"$OUT/stop.json"
local_state() {
  api "$API/v1/consents/%2B14155550173" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["consents"]["marketing"]["state"])' \
      2>/dev/null
}
check "a STOP texted to the cloud shows in the local lookup" wait_for 30 bash -c \
  "[ \"\$($(declare -f api local_state); API=$API; TOKEN=$TOKEN; local_state)\" = opted_out ]"

# --- HTTPS to the cloud: certificates are verified on Windows too -------------
# A test CA signs a certificate for 127.0.0.1 only; a second reference cloud
# serves HTTPS with it. doctor's cloud check uses the agent's HTTP client.
TLS="$OUT/tls"
mkdir -p "$TLS"
{
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TLS/ca.key" -out "$TLS/ca.pem" -days 2 \
    -subj "/CN=Tillbridge Wine test CA" &&
    openssl req -newkey rsa:2048 -nodes -keyout "$TLS/server.key" -out "$TLS/server.csr" \
      -subj "/CN=127.0.0.1" &&
    printf 'subjectAltName=IP:127.0.0.1\n' >"$TLS/san.ext" &&
    openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
      -CAcreateserial -out "$TLS/server.pem" -days 2 -extfile "$TLS/san.ext"
} >"$TLS/openssl.log" 2>&1
# And one that names another host only, for the host name check.
{
  openssl req -newkey rsa:2048 -nodes -keyout "$TLS/other.key" -out "$TLS/other.csr" \
    -subj "/CN=cloud.other.invalid" &&
    printf 'subjectAltName=DNS:cloud.other.invalid\n' >"$TLS/other.ext" &&
    openssl x509 -req -in "$TLS/other.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
      -CAcreateserial -out "$TLS/other.pem" -days 2 -extfile "$TLS/other.ext"
} >>"$TLS/openssl.log" 2>&1
check "a test CA, a certificate for 127.0.0.1 and one for another name" \
  test -s "$TLS/server.pem" -a -s "$TLS/other.pem"
"$CLOUD_BIN" --port 0 --db "$OUT/cloud-tls.db" --token wine-cloud-token --admin-token wine-admin \
  --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key" >"$OUT/cloud-tls.out" \
  2>"$OUT/cloud-tls.log" &
PIDS+=($!)
"$CLOUD_BIN" --port 0 --db "$OUT/cloud-other.db" --token wine-cloud-token --admin-token wine-admin \
  --tls-cert "$TLS/other.pem" --tls-key "$TLS/other.key" >"$OUT/cloud-other.out" \
  2>"$OUT/cloud-other.log" &
PIDS+=($!)
wait_for 10 grep -q "refcloud listening" "$OUT/cloud-tls.out"
wait_for 10 grep -q "refcloud listening" "$OUT/cloud-other.out"
TLS_PORT="$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$OUT/cloud-tls.out" | head -1)"
OTHER_PORT="$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$OUT/cloud-other.out" | head -1)"
tls_doctor() {  # tls_doctor NAME URL [CA_FILE]: doctor's cloud line for that setup
  {
    printf '[agent]\ndata_dir = %s\n[api]\nenabled = false\n' "$(to_windows "$OUT/tls-data")"
    printf '[cloud]\nenabled = true\nurl = %s\ntoken = wine-cloud-token\n' "$2"
    [ -n "${3:-}" ] && printf 'ca_file = %s\n' "$(to_windows "$3")"
  } >"$OUT/tls-$1.ini"
  mkdir -p "$OUT/tls-data"
  wine "$EXE" doctor --config "$(to_windows "$OUT/tls-$1.ini")" 2>&1 | tr -d '\r' |
    tee "$OUT/tls-$1.txt" | grep -A1 ' cloud '
}
trusted="$(tls_doctor trusted "https://127.0.0.1:$TLS_PORT" "$TLS/ca.pem")"
check "HTTPS with the CA file: the cloud check passes ($trusted)" \
  bash -c "grep -q '^ok *cloud https' <<<'$trusted'"
untrusted="$(tls_doctor untrusted "https://127.0.0.1:$TLS_PORT")"
check "HTTPS without the CA: refused as not trusted ($(head -1 <<<"$untrusted"))" \
  bash -c "grep -q '^FAIL *cloud' <<<'$untrusted' && grep -qi 'TLS\|certificate' <<<'$untrusted'"
wrong_name="$(tls_doctor name "https://127.0.0.1:$OTHER_PORT" "$TLS/ca.pem")"
check "HTTPS to a server whose certificate names another host: refused ($(head -1 <<<"$wrong_name"))" \
  bash -c "grep -q '^FAIL *cloud' <<<'$wrong_name' && grep -qi 'TLS\|certificate\|host' <<<'$wrong_name'"

# --- The TCP printer tap ------------------------------------------------------
mkdir -p "$OUT/receipts"
if node "$SRC/tests/js/printer/make-receipts.mjs" "$OUT/receipts" >"$OUT/receipts.log" 2>&1; then
  python3 - "$OUT/receipts" "$OUT/sent.bin" <<'PY'
import json, pathlib, sys
folder = pathlib.Path(sys.argv[1])
manifest = json.loads((folder / "manifest.json").read_text())
with open(sys.argv[2], "wb") as out:
    for item in manifest:
        out.write((folder / item["file"]).read_bytes())
PY
  # The POS prints over one connection, in uneven writes, as drivers do.
  python3 - "$TAP_PORT" "$OUT/sent.bin" <<'PY'
import socket, sys, time
data = open(sys.argv[2], "rb").read()
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as pos:
    sizes, offset, i = [1, 7, 300, 4096, 13], 0, 0
    while offset < len(data):
        pos.sendall(data[offset:offset + sizes[i % len(sizes)]])
        offset += sizes[i % len(sizes)]
        i += 1
    pos.shutdown(socket.SHUT_WR)
    pos.settimeout(10)
    try:
        while pos.recv(4096):
            pass
    except OSError:
        pass
PY
  sent_bytes="$(stat -c %s "$OUT/sent.bin")"
  wait_for 30 bash -c "[ \"\$(stat -c %s '$OUT/printed.bin' 2>/dev/null || echo 0)\" -ge $sent_bytes ]"
  check "the printer received every byte of $sent_bytes, unchanged" cmp "$OUT/sent.bin" "$OUT/printed.bin"
  check "the tap decoded the printed receipts into sales" wait_for 30 bash -c \
    "[ \"\$(sqlite3 '$OUT/data/tillbridge.db' \"SELECT COUNT(*) FROM transactions WHERE source = 'printer'\" 2>/dev/null || echo 0)\" -gt 0 ]"
else
  cat "$OUT/receipts.log"
  check "the npm receipt encoder made receipts (scripts/install-deps.sh test)" false
fi

# --- A restart sends nothing twice -------------------------------------------
stop_agent
check "the agent stopped cleanly on Ctrl-C" grep -q "tillbridge.agent: stopped" "$OUT/agent.out"
"$SIM_BIN" --db "$OUT/pos.db" --count 4 --rate 600/min --seed 6 --complete-after 1 --quiet \
  >>"$OUT/register.log" 2>&1
start_agent
sqlite3 "$OUT/pos.db" "SELECT ticket_id FROM tickets WHERE status IN ('paid','refunded')
                       ORDER BY ticket_id" >"$OUT/pos-paid.txt"
paid_count="$(wc -l <"$OUT/pos-paid.txt")"
wait_for 60 bash -c "$(declare -f admin cloud_completed); CLOUD=$CLOUD; OUT=$OUT
  cloud_completed >'$OUT/cloud-completed.txt'; $(declare -f exactly_once); exactly_once"
sleep 2
cloud_completed >"$OUT/cloud-completed.txt"
check "after a restart, old and new POS sales are each at the cloud once ($paid_count)" \
  exactly_once
check "the cloud still applied no effect twice" test "$(stats effects_repeated)" = 0
check "the restart added events only for new activity ($before_restart before)" \
  test "$(stats events_distinct)" -gt "$before_restart"
stop_agent

# --- A second register reads an OSPOS database on MariaDB ---------------------
# The schema dump comes from the Linux suite's sql_db_setup: the upstream
# OSPOS schema when ../shared/pos-schemas is there, else the project's own
# fixture (tests/drivers/sql/ospos/); the sample sales are the project's. The
# agent connects as the read-only user, as a store would configure it.
OSPOS_DUMP="$LINUX_BUILD/tbtest/ospos_schema.sql"
[ -f "$OSPOS_DUMP" ] || OSPOS_DUMP="$LINUX_BUILD/tbtest/ospos_fixture.sql"
OSPOS_SAMPLES="$SRC/tests/drivers/sql/ospos/samples.sql"
echo "OSPOS schema for the Windows agent: $(basename "$OSPOS_DUMP")"
MYSQL=(mysql --protocol=tcp -h 127.0.0.1 -P "${TB_MARIADB_PORT:-3306}" -u tillbridge_pos
       -ptillbridge-pos)
if [ -f "$OSPOS_DUMP" ] && [ -f "$OSPOS_SAMPLES" ] && command -v mysql >/dev/null &&
   "$SRC/scripts/start-test-databases.sh" 2>/dev/null; then
  OSPOS_DB="tbtest_wine_ospos_$$"
  "${MYSQL[@]}" -e "CREATE DATABASE \`$OSPOS_DB\`" &&
    "${MYSQL[@]}" "$OSPOS_DB" <"$OSPOS_DUMP" && "${MYSQL[@]}" "$OSPOS_DB" <"$OSPOS_SAMPLES"
  check "an OSPOS database with sample sales on MariaDB" test $? -eq 0
  # One more sale, written the way OSPOS writes it.
  "${MYSQL[@]}" "$OSPOS_DB" -e "START TRANSACTION;
    INSERT INTO ospos_sales (sale_time, customer_id, employee_id, comment, sale_status, sale_type)
      VALUES (NOW(), 2, 1, '', 0, 0);
    INSERT INTO ospos_sales_items (sale_id, item_id, description, serialnumber, line,
      quantity_purchased, item_cost_price, item_unit_price, discount, discount_type, item_location,
      print_option) VALUES (LAST_INSERT_ID(), 1, '', '', 1, 1, 4.00, 8.50, 0, 0, 1, 0);
    INSERT INTO ospos_sales_payments (sale_id, payment_type, payment_amount, cash_refund,
      cash_adjustment, employee_id) VALUES (LAST_INSERT_ID(), 'Credit Card', 8.50, 0, 0, 1);
    COMMIT;"
  "${MYSQL[@]}" -N -B "$OSPOS_DB" -e "SELECT sale_id FROM ospos_sales
    WHERE sale_status = 0 AND sale_type <> 4 ORDER BY sale_id" >"$OUT/ospos-completed.txt"
  mkdir -p "$OUT/ospos-data"
  OSPOS_API_PORT="$(free_port)"
  cat >"$OUT/ospos.ini" <<INI
[agent]
; Another store: event ids derive from the store id and the POS ids, and
; this POS numbers its sales from 1 as the demo POS above does.
store_id = wine-store-ospos
terminal_id = lane-ospos
data_dir = $(to_windows "$OUT/ospos-data")

[log]
console = true

[api]
port = $OSPOS_API_PORT

[pos]
enabled = true
profile = ospos
host = 127.0.0.1
port = ${TB_MARIADB_PORT:-3306}
database = $OSPOS_DB
user = tillbridge_ro
password = tillbridge-ro
poll_interval = 250ms
start_from = beginning
time_zone = UTC

[cloud]
enabled = true
url = $CLOUD
token = wine-cloud-token
allow_plain_http = true
long_poll_timeout = 2s
INI
  wine "$EXE" run --config "$(to_windows "$OUT/ospos.ini")" >"$OUT/ospos-agent.out" 2>&1 &
  AGENT_PID=$!
  wait_for 60 curl -sf "http://127.0.0.1:$OSPOS_API_PORT/healthz" -o /dev/null
  OSPOS_AGENT="$(curl -s "http://127.0.0.1:$OSPOS_API_PORT/healthz" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["agent_id"])' 2>/dev/null)"
  ospos_at_cloud() {
    admin "$CLOUD/admin/events?limit=10000" | python3 -c '
import json, sys
events = json.load(sys.stdin)["events"]
print("\n".join(sorted((e["pos_id"] for e in events
                         if e["type"] == "transaction.completed" and e["agent_id"] == sys.argv[1]),
                        key=int)))' "$OSPOS_AGENT"
  }
  ospos_count="$(wc -l <"$OUT/ospos-completed.txt")"
  wait_for 60 bash -c "[ \"\$($(declare -f admin ospos_at_cloud); CLOUD=$CLOUD
    OSPOS_AGENT=$OSPOS_AGENT; ospos_at_cloud | wc -l)\" -ge $ospos_count ]"
  ospos_at_cloud >"$OUT/ospos-cloud.txt"
  check "every completed OSPOS sale ($ospos_count) reached the cloud once from the Windows agent" \
    diff "$OUT/ospos-completed.txt" "$OUT/ospos-cloud.txt"
  stop_agent
  "${MYSQL[@]}" -e "DROP DATABASE \`$OSPOS_DB\`"
else
  echo "skip the OSPOS part: it needs MariaDB, the OSPOS schema dump ($OSPOS_DUMP, made by" \
       "the Linux suite's sql_db_setup) and ../shared/pos-schemas"
fi

echo "agent log: $OUT/agent.out"
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
