#!/usr/bin/env bash
# The main job: builds Tillbridge and runs the agent in the foreground with
# the bundled example config, printing its status. Ctrl-C stops it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/install-deps.sh demo
scripts/build.sh release
BIN=build/release/agent/tillbridge
CONFIG=examples/tillbridge.ini

"$BIN" run --config "$CONFIG" &
AGENT=$!
trap 'kill -TERM $AGENT 2>/dev/null; wait $AGENT 2>/dev/null' EXIT INT TERM
sleep 1
"$BIN" status --config "$CONFIG"
wait $AGENT
