# Sourced by the Windows integration tests: a Wine prefix of the test's own
# (so an installed service or a stray process never meets another test's),
# kept running for the whole test, and helpers shared by the tests.
#   wine_env_start PREFIX_DIR DLL_DIR   DLL_DIR goes on WINEPATH ("" for none)
#   to_windows PATH                     Z:\... form of a Linux path
#   check DESCRIPTION COMMAND...        prints ok/FAIL, counts failures
#   wait_for SECONDS COMMAND...         retries COMMAND every 0.2 s

failures=0
check() {
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}

wait_for() {
  local seconds="$1"; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

wine_env_start() {
  export WINEPREFIX="$1"
  export WINEDEBUG=-all
  if [ -n "$2" ]; then export WINEPATH="$2"; fi
  # No desktop integration or Mono/Gecko prompts in a headless prefix.
  export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
  mkdir -p "$WINEPREFIX"
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "wine: creating the prefix $WINEPREFIX"
    wineboot --init >/dev/null 2>&1 || true
    # wineboot returns before the prefix is complete; an msiexec started
    # meanwhile fails. Waiting for its server to end makes it complete.
    wineserver -w
  fi
  # Persistent until wine_env_stop: a service keeps running between the
  # test's wine commands, as it would on a real machine.
  wineserver -p
  # The first Wine program of a session starts Wine's own background
  # processes, which keep its standard output open: start them here with
  # nothing attached, so that $(wine ...) in a test returns.
  wine cmd /c exit >/dev/null 2>&1 </dev/null
}

wine_env_stop() {
  wineserver -k >/dev/null 2>&1 || true
  wineserver -w >/dev/null 2>&1 || true
}

to_windows() { winepath -w "$1" 2>/dev/null; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
