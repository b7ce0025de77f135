#!/usr/bin/env bash
# The live demo: the reference cloud, the agent and the demo POS's register
# simulator, all on this machine. Shows sales flowing from the register to
# the cloud, the SMS the cloud would send, a customer texting STOP, the
# register's local consent lookup turning to opted-out, and a coupon the
# cloud texted being checked and taken at the counter (closed loop), a
# post-purchase care follow-up for a high-ticket sale (the cloud's clock is
# moved on two days to send it), and the ROI report's headline numbers with
# that coupon visit credited to the text that carried the coupon.
#
#   scripts/demo.sh                  build, then run until Ctrl-C
#   scripts/demo.sh --duration 60    stop by itself after 60 s
#   scripts/demo.sh --no-build       use the existing build/release
#   scripts/demo.sh --rate 40/min    register speed (default 30/min)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION=0
BUILD=1
RATE="30/min"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --rate) RATE="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$BUILD" -eq 1 ]; then
  scripts/install-deps.sh demo
  scripts/build.sh release
fi
BIN="${TILLBRIDGE_BUILD_DIR:-build/release}"
AGENT_BIN="$BIN/agent/tillbridge"
CLOUD_BIN="$BIN/tools/refcloud/tillbridge-refcloud"
SIM_BIN="$BIN/tools/register-sim/tillbridge-register-sim"
for b in "$AGENT_BIN" "$CLOUD_BIN" "$SIM_BIN"; do
  [ -x "$b" ] || { echo "demo: $b is missing; run without --no-build" >&2; exit 1; }
done

DEMO="$ROOT/var/demo"
rm -rf "$DEMO"
mkdir -p "$DEMO/agent"
CONFIG="$ROOT/examples/demo.ini"

if [ -t 1 ]; then
  C_REG=$'\e[33m' C_AGENT=$'\e[36m' C_CLOUD=$'\e[35m' C_SMS=$'\e[32m' C_COUNTER=$'\e[1;34m' C_OFF=$'\e[0m'
else
  C_REG="" C_AGENT="" C_CLOUD="" C_SMS="" C_COUNTER="" C_OFF=""
fi
say() { printf '%s%-9s%s %s\n' "$1" "$2" "$C_OFF" "$3"; }

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# 1. The reference cloud.
"$CLOUD_BIN" --port 0 --db "$DEMO/cloud.db" --token demo-cloud-token \
  --admin-token demo-admin --brand "Demo Store" > "$DEMO/cloud.out" 2> "$DEMO/cloud.log" &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "refcloud listening" "$DEMO/cloud.out" 2>/dev/null && break; sleep 0.05; done
CLOUD_PORT="$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$DEMO/cloud.out" | head -1)"
[ -n "$CLOUD_PORT" ] || { echo "demo: the reference cloud did not start:"; cat "$DEMO/cloud.log"; exit 1; }
CLOUD="http://127.0.0.1:$CLOUD_PORT"
say "$C_CLOUD" "[cloud]" "reference cloud listening on $CLOUD"

# 2. The register simulator rings up sales on the demo POS database.
"$SIM_BIN" --db "$DEMO/pos.db" --rate "$RATE" --seed 7 --complete-after 15 > "$DEMO/register.log" 2>&1 &
PIDS+=($!)

# 3. The agent.
API_PORT=8787
if port_busy "$API_PORT"; then API_PORT="$(free_port)"; fi
export TILLBRIDGE_CLOUD_URL="$CLOUD" TILLBRIDGE_API_PORT="$API_PORT"
"$AGENT_BIN" run --config "$CONFIG" > "$DEMO/agent.out" 2>&1 &
PIDS+=($!)
API="http://127.0.0.1:$API_PORT"
for _ in $(seq 1 100); do curl -sf "$API/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
TOKEN="$("$AGENT_BIN" api-token --config "$CONFIG")"
say "$C_AGENT" "[agent]" "running; local API and cashier page at $API/"
say "$C_AGENT" "[agent]" "cashier sign-in link: $("$AGENT_BIN" api-token --launch --config "$CONFIG")"

# Live feed: the register's actions, the SMS the cloud sends, and what the
# cloud receives.
tail -n +1 -F "$DEMO/register.log" 2>/dev/null | while IFS= read -r line; do
  say "$C_REG" "[register]" "${line#*Z }"
done &
PIDS+=($!)
# The cloud's own log: what it receives, and the SMS it would send.
tail -n +2 -F "$DEMO/cloud.out" 2>/dev/null | while IFS= read -r line; do
  line="${line#* refcloud }"
  case "$line" in
    "sms"*) say "$C_SMS" "[sms]" "$line" ;;
    "push"*|"pull  "*" 0 changes"*|"agent "*) ;;  # routine traffic; the detail lines say more
    *) say "$C_CLOUD" "[cloud]" "$(echo "$line" | sed 's/^ *//')" ;;
  esac
done &
PIDS+=($!)

api() { curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
consent_state() {  # consent_state PHONE PURPOSE
  api "$API/v1/consents/$1" | python3 -c '
import json, sys
data = json.load(sys.stdin)
print(data["consents"][sys.argv[1]]["state"])' "$2" 2>/dev/null
}

# The story: cashiers capture opt-ins at the counter for two regulars...
sleep 2
for phone in "(415) 555-0134" "415.555.0199"; do
  for purpose in transactional marketing; do
    reply="$(api -X POST "$API/v1/consents" -d "{\"phone\":\"$phone\",\"purpose\":\"$purpose\",\"granted\":true,\"method\":\"customer_display\",\"disclosure_version\":\"1\",\"cashier_id\":\"alex\"}")"
    state="$(printf '%s' "$reply" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("state","?"))' 2>/dev/null || echo "?")"
    say "$C_COUNTER" "[counter]" "opt-in captured at the counter: ${phone} ${purpose} -> ${state}"
  done
done

# The coupon the cloud texted a customer, from the cloud's message log.
texted_coupon() {  # texted_coupon PHONE_URL_ENCODED
  curl -s -H "Authorization: Bearer demo-admin" "$CLOUD/admin/messages?phone=$1" | python3 -c '
import json, re, sys
codes = [re.search(r"code (\S+)", m["body"]).group(1) for m in json.load(sys.stdin)["messages"]
         if m.get("kind") == "coupon" and re.search(r"code (\S+)", m["body"])]
print(codes[-1] if codes else "")' 2>/dev/null
}
coupon_words() {  # coupon_words CODE
  api "$API/v1/coupons/$1" | python3 -c '
import json, sys
c = json.load(sys.stdin)
if "error" in c: print("not known: " + c["error"]["reason"])
else: print(c["status"] + ", " + str(c["redemptions_left"]) + " use(s) left" + ("" if c["valid"] else " (" + c["reason"] + ")"))' 2>/dev/null
}

# The report's headline: what the texts brought in so far (last 30 days).
report_headline() {
  "$AGENT_BIN" report --config "$CONFIG" --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
cur = r.get("currency") or "USD"
def money(minor): return "%.2f %s" % ((minor or 0) / 100, cur)
fig = {f["key"]: f for f in r["headline"]}
t = r["totals"]
print("%d sales, %s; %d credited to a text: %s; coupon redemption rate %s; revenue per message %s; %d messages sent" % (
    t["sales"], money(t["revenue_minor"]), t["attributed_sales"], money(t["attributed_revenue_minor"]),
    fig["coupon_redemption_rate"]["display"], fig["revenue_per_message"]["display"],
    t["messages_sent"]))
for c in r["campaigns"]:
    if c["attributed_sales"]:
        print("  %s (%s): %d visit(s) credited, %s, from %d text(s)" % (
            c["campaign"], c["purpose"], c["attributed_sales"], money(c["attributed_revenue_minor"]), c["messages_sent"]))' 2>/dev/null || echo "report unavailable"
}

STOP_AT=25
COUPON_AT=35
FOLLOW_UP_AT=45
REPORT_AT=55
started=$(date +%s)
stopped=0
redeemed=0
followed_up=0
reported=0
next_status=$((started + 10))
while :; do
  now=$(date +%s)
  if [ "$stopped" -eq 0 ] && [ $((now - started)) -ge $STOP_AT ]; then
    # ...and one of them texts STOP to the store's number.
    say "$C_SMS" "[sms]" "customer +1******0134 replies STOP"
    t0=$(date +%s%N)
    curl -s -X POST -H "Authorization: Bearer demo-admin" -H 'Content-Type: application/json' \
      "$CLOUD/admin/inbound-sms" -d '{"phone":"+14155550134","text":"STOP"}' >/dev/null
    for _ in $(seq 1 100); do
      [ "$(consent_state %2B14155550134 marketing)" = "opted_out" ] && break
      sleep 0.05
    done
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    say "$C_COUNTER" "[counter]" "local lookup for +1******0134: marketing=$(consent_state %2B14155550134 marketing), transactional=$(consent_state %2B14155550134 transactional) (${ms} ms after the STOP)"
    stopped=1
  fi
  if [ "$redeemed" -eq 0 ] && [ $((now - started)) -ge $COUPON_AT ]; then
    # ...and the other brings the coupon the cloud texted them to the counter.
    code="$(texted_coupon %2B14155550199)"
    if [ -n "$code" ]; then
      say "$C_COUNTER" "[counter]" "customer +1******0199 shows coupon $code: $(coupon_words "$code")"
      reply="$(api -X POST "$API/v1/transactions" -d "{\"pos_id\":\"COUNTER-1\",\"kind\":\"sale\",\"occurred_at\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\",\"currency\":\"USD\",\"total_minor\":1890,\"cashier_id\":\"alex\",\"phone\":\"415.555.0199\",\"coupon_codes\":[\"$code\"],\"payments\":[{\"type\":\"card\",\"amount_minor\":1890}]}")"
      say "$C_COUNTER" "[counter]" "sale COUNTER-1 rung up with the coupon ($(printf '%s' "$reply" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("event_type","?"))' 2>/dev/null || echo "?")); coupon now: $(coupon_words "$code")"
      redeemed=1
    fi
  fi
  if [ "$followed_up" -eq 0 ] && [ $((now - started)) -ge $FOLLOW_UP_AT ]; then
    # A high-ticket sale: the cloud schedules a care message for two days later...
    reply="$(api -X POST "$API/v1/transactions" -d "{\"pos_id\":\"COUNTER-2\",\"kind\":\"sale\",\"occurred_at\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\",\"currency\":\"USD\",\"subtotal_minor\":89900,\"total_minor\":89900,\"cashier_id\":\"alex\",\"phone\":\"415.555.0199\",\"lines\":[{\"sku\":\"TV-55\",\"description\":\"55in TV\",\"quantity_milli\":1000,\"unit_price_minor\":89900,\"total_minor\":89900}],\"payments\":[{\"type\":\"card\",\"amount_minor\":89900}]}")"
    say "$C_COUNTER" "[counter]" "sale COUNTER-2: a 55in TV for 899.00 USD to +1******0199 ($(printf '%s' "$reply" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("event_type","?"))' 2>/dev/null || echo "?"))"
    sleep 2
    # ...and the demo moves the cloud's clock on 49 hours so it falls due now.
    due="$(date -u -d '+49 hours' +%Y-%m-%dT%H:%M:%S.000Z)"
    say "$C_CLOUD" "[cloud]" "moving the cloud's clock to $due: follow-ups due by then go out"
    curl -s -X POST -H "Authorization: Bearer demo-admin" -H 'Content-Type: application/json' \
      "$CLOUD/admin/run-due" -d "{\"now\":\"$due\"}" >/dev/null
    followed_up=1
  fi
  if [ "$reported" -eq 0 ] && [ $((now - started)) -ge $REPORT_AT ]; then
    report_headline | while IFS= read -r line; do say "$C_AGENT" "[report]" "$line"; done
    say "$C_AGENT" "[report]" "full report: $AGENT_BIN report --config $CONFIG --format html --out report.html; manager page $API/manager"
    reported=1
  fi
  if [ "$now" -ge "$next_status" ]; then
    "$AGENT_BIN" status --config "$CONFIG" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
c = s["consents"]
print("%d transactions stored, outbox %d waiting, %d dead letters; consents: %d opted in, %d opted out; last push %s" % (
    s["transactions"], s["outbox"]["depth"], s["dead_letters"], c.get("opted_in", 0), c.get("opted_out", 0),
    s["sync"].get("cloud.last_push_at", "never")))' | while IFS= read -r line; do say "$C_AGENT" "[status]" "$line"; done
    next_status=$((now + 10))
  fi
  if [ "$DURATION" -gt 0 ] && [ $((now - started)) -ge "$DURATION" ]; then break; fi
  kill -0 "${PIDS[2]}" 2>/dev/null || { echo "demo: the agent stopped:"; tail -20 "$DEMO/agent.out"; exit 1; }
  sleep 1
done
report_headline | while IFS= read -r line; do say "$C_AGENT" "[report]" "$line"; done
say "$C_AGENT" "[demo]" "done; logs in $DEMO"
