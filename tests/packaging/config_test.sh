#!/usr/bin/env bash
# The configuration files the packages install load with this build's key
# table: the Debian tillbridge.ini (doctor passes), every key it mentions in
# comments exists, every variable /etc/default/tillbridge suggests is
# accepted, and the Windows tillbridge.ini loads too (CRLF line endings,
# paths relative to its folder). A config with a misspelt key must fail, so
# these checks can fail.
#   config_test.sh TILLBRIDGE_BINARY
set -uo pipefail
BIN="$1"
SRC="${TILLBRIDGE_SOURCE_DIR:?run from ctest}"
DEB_INI="$SRC/packaging/debian/tillbridge.ini"
DEB_DEFAULT="$SRC/packaging/debian/default"
WIN_INI="$SRC/packaging/windows/tillbridge.ini"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
# The packaged config names /var/lib/tillbridge; the test keeps its data here.
export TILLBRIDGE_AGENT_DATA_DIR="$WORK/data"
unset TILLBRIDGE_CONFIG

"$BIN" config-reference >"$WORK/reference.md"
known_key() {  # known_key SECTION KEY: the key is in config-reference
  awk -v section="## [$1]" -v key="\`$2\`" '
    $0 == section {in_section = 1; next}
    /^## / {in_section = 0}
    in_section && index($0, "| " key " |") == 1 {found = 1}
    END {exit !found}' "$WORK/reference.md"
}

"$BIN" doctor --config "$DEB_INI" >"$WORK/doctor.txt" 2>&1
rc=$?
sed 's/^/     /' "$WORK/doctor.txt"
check "doctor passes with the Debian package's tillbridge.ini" test $rc -eq 0

# Keys set or suggested (commented out) in both configs.
check_keys_of() {  # check_keys_of LABEL FILE
  local label="$1" file="$2" section="" line key
  while IFS= read -r line; do
    line="${line%$'\r'}"
    if [[ "$line" =~ ^\[([a-z_]+)\] ]]; then section="${BASH_REMATCH[1]}"; continue; fi
    if [[ "$line" =~ ^[\;#]?[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*[^[:space:]] ]] &&
       [ -n "$section" ]; then
      key="${BASH_REMATCH[1]}"
      check "$label mentions a known key: $section.$key" known_key "$section" "$key"
    fi
  done <"$file"
}
check_keys_of "the Debian tillbridge.ini" "$DEB_INI"
check_keys_of "the Windows tillbridge.ini" "$WIN_INI"

# Variables suggested in /etc/default/tillbridge, all at once.
mapfile -t suggested < <(sed -n 's/^#\(TILLBRIDGE_[A-Z0-9_]*=.*\)$/\1/p' "$DEB_DEFAULT")
check "/etc/default/tillbridge suggests variables" test "${#suggested[@]}" -gt 0
env "${suggested[@]}" "$BIN" doctor --config "$DEB_INI" >"$WORK/doctor-env.txt" 2>&1
rc=$?
check "doctor accepts every variable /etc/default/tillbridge suggests (${suggested[*]})" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/     /' "$WORK/doctor-env.txt"

# Windows: relative paths resolve against the config's folder, so use a copy.
mkdir -p "$WORK/programdata"
cp "$WIN_INI" "$WORK/programdata/tillbridge.ini"
check "the Windows tillbridge.ini has CRLF line endings (Notepad)" \
  bash -c "[ \$(grep -c \$'\\r\$' '$WIN_INI') -eq \$(wc -l <'$WIN_INI') ]"
(unset TILLBRIDGE_AGENT_DATA_DIR; "$BIN" doctor --config "$WORK/programdata/tillbridge.ini") \
  >"$WORK/doctor-win.txt" 2>&1
rc=$?
sed 's/^/     /' "$WORK/doctor-win.txt"
check "doctor passes with the Windows tillbridge.ini" test $rc -eq 0
check "its data folder is beside it (data_dir = data)" test -f "$WORK/programdata/data/tillbridge.db"
check "the MSI's service is given that file" \
  grep -q 'Arguments="run --config &quot;\[TillbridgeDataFolder\]tillbridge.ini&quot;"' \
  "$SRC/packaging/windows/tillbridge.wxs"

# The checks above can fail: a misspelt key stops the agent with exit 2.
sed 's/^store_id =/store_idd =/' "$DEB_INI" >"$WORK/typo.ini"
"$BIN" doctor --config "$WORK/typo.ini" >"$WORK/typo.txt" 2>&1
rc=$?
check "a misspelt key fails with exit code 2" test $rc -eq 2
check "and the message names the line and the key" grep -q "typo.ini:[0-9]*: unknown key 'agent.store_idd'" "$WORK/typo.txt"

# The unit runs what the package installs, with the packaged config.
unit="$SRC/packaging/debian/tillbridge.service"
check "the unit runs /usr/bin/tillbridge run with the packaged config" \
  grep -qx 'ExecStart=/usr/bin/tillbridge run --config /etc/tillbridge/tillbridge.ini' "$unit"
check "the unit reads /etc/default/tillbridge" grep -qx 'EnvironmentFile=-/etc/default/tillbridge' "$unit"
check "the packaged data_dir is the unit's StateDirectory" \
  bash -c "grep -qx 'data_dir = /var/lib/tillbridge' '$DEB_INI' && grep -qx 'StateDirectory=tillbridge' '$unit'"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
