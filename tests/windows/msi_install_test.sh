#!/usr/bin/env bash
# The real MSI: built from this Windows build's install tree with
# packaging/windows/build-msi.sh, then installed, upgraded and removed with
# Wine's msiexec in a Wine prefix of its own.
#   - the install tree holds tillbridge.exe (PE32+) and every DLL it loads,
#     and objdump proves nothing else is imported but Windows' own DLLs;
#   - msiexec /i /qn installs; the service "tillbridge" is registered and
#     running; the local API answers with the installed config; the
#     installed exe runs --version and doctor;
#   - an upgrade to version N+1 keeps an edited config and the store (same
#     agent id) and replaces the product;
#   - msiexec /x removes the program and the service and keeps the data.
# Wine runs Windows Installer's logic with its own engine: this is a smoke
# test of the package, not proof of its behaviour on Windows (docs/install.md
# says what to check on a real machine).
#
#   msi_install_test.sh WINDOWS_BUILD_DIR OUT_DIR VERSION SYSTEM_DLLS
# SYSTEM_DLLS: ';'-separated base names of DLLs that Windows ships.
set -uo pipefail
WIN_BUILD="$(cd "$1" && pwd)"
OUT="$2"
VERSION="$3"
SYSTEM_DLLS="$4"
SRC="${TILLBRIDGE_SOURCE_DIR:?run from ctest}"
# shellcheck source=wine_env.sh
. "$SRC/tests/windows/wine_env.sh"
for tool in wine wixl msiinfo msiextract x86_64-w64-mingw32-objdump curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

rm -rf "$OUT"
mkdir -p "$OUT"
trap wine_env_stop EXIT

# --- Install tree and imports -----------------------------------------------
cmake --install "$WIN_BUILD" --prefix "$OUT/stage" --strip >"$OUT/install.log" 2>&1
rc=$?
check "cmake --install gathers the exe and its DLLs" test $rc -eq 0
[ $rc -eq 0 ] || { cat "$OUT/install.log"; exit 1; }
STAGE_BIN="$OUT/stage/bin"
check "tillbridge.exe is a PE32+ (x86-64) program" \
  bash -c "file '$STAGE_BIN/tillbridge.exe' | grep -q 'PE32+ executable.*x86-64'"

shipped="$(ls "$STAGE_BIN" | tr '[:upper:]' '[:lower:]')"
system=";$(echo "$SYSTEM_DLLS" | tr "," ";" | tr '[:upper:]' '[:lower:]');"
unexpected=""
for binary in "$STAGE_BIN"/*.exe "$STAGE_BIN"/*.dll; do
  while read -r dll; do
    lower="$(echo "$dll" | tr '[:upper:]' '[:lower:]')"
    if grep -qx "$lower" <<<"$shipped"; then continue; fi
    if [[ "$system" == *";${lower%.dll};"* ]]; then continue; fi
    case "$lower" in api-ms-*|ext-ms-*) continue ;; esac
    unexpected+=" $(basename "$binary")->$dll"
  done < <(x86_64-w64-mingw32-objdump -p "$binary" | sed -n 's/^\s*DLL Name: //p')
done
check "every imported DLL is shipped beside the exe or part of Windows${unexpected:+ (not:$unexpected)}" \
  test -z "$unexpected"
dll_count="$(ls "$STAGE_BIN"/*.dll | wc -l)"
echo "     the install tree holds tillbridge.exe and $dll_count DLLs ($(du -sh "$STAGE_BIN" | cut -f1))"

# --- The MSI, this version and the next ----------------------------------------
IFS=. read -r major minor patch <<<"$VERSION"
NEXT="$major.$minor.$((patch + 1))"
MSI="$OUT/tillbridge-$VERSION-x64.msi"
NEXT_MSI="$OUT/tillbridge-$NEXT-x64.msi"
"$SRC/packaging/windows/build-msi.sh" --stage "$OUT/stage" --version "$VERSION" --output "$MSI" \
  >"$OUT/build-msi.log" 2>&1
check "build-msi.sh builds the MSI ($VERSION)" test -f "$MSI"
"$SRC/packaging/windows/build-msi.sh" --stage "$OUT/stage" --version "$NEXT" --output "$NEXT_MSI" \
  >>"$OUT/build-msi.log" 2>&1
check "and the next version ($NEXT)" test -f "$NEXT_MSI"
[ -f "$MSI" ] && [ -f "$NEXT_MSI" ] || { cat "$OUT/build-msi.log"; exit 1; }
echo "     MSI size: $(stat -c %s "$MSI") bytes"
msiextract -C "$OUT/extracted" "$MSI" >/dev/null
check "the MSI holds the real PE32+ tillbridge.exe" \
  bash -c "file '$OUT/extracted/Tillbridge/tillbridge.exe' | grep -q 'PE32+'"
check "and every DLL of the install tree" \
  test "$(ls "$OUT/extracted/Tillbridge/"*.dll | wc -l)" -eq "$dll_count"

# --- Install --------------------------------------------------------------------
if (exec 3<>/dev/tcp/127.0.0.1/8787) 2>/dev/null; then
  echo "FAIL port 8787 (the installed config's API port) is taken by another program"
  exit 1
fi
wine_env_start "$OUT/wineprefix" ""
DRIVE="$WINEPREFIX/drive_c"
PROGRAM="$DRIVE/Program Files/Tillbridge"
DATA="$DRIVE/ProgramData/Tillbridge"
wine msiexec /i "$(to_windows "$MSI")" /qn /l*v "$(to_windows "$OUT/install-msi.log")"
check "msiexec /i /qn installs (exit $?)" test -f "$PROGRAM/tillbridge.exe"
check "the default config is in %ProgramData%\\Tillbridge" test -f "$DATA/tillbridge.ini"
service_state() { wine sc query tillbridge 2>/dev/null | tr -d '\r' | sed -n 's/.*STATE *: *[0-9]* *//p'; }
check "the service tillbridge is registered and running" \
  wait_for 30 bash -c "[ \"\$($(declare -f service_state); service_state)\" = RUNNING ]"
health() { curl -sf -m 2 http://127.0.0.1:8787/healthz; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
check "the local API answers with the installed config" \
  wait_for 30 curl -sf -m 2 -o /dev/null http://127.0.0.1:8787/healthz
agent_id="$(health | field agent_id)"
check "the store was created in %ProgramData%\\Tillbridge\\data" test -f "$DATA/data/tillbridge.db"
installed="$(to_windows "$PROGRAM/tillbridge.exe")"
check "the installed exe runs --version" \
  bash -c "wine '$installed' --version 2>/dev/null | tr -d '\r' | grep -qx 'tillbridge [0-9.]*'"
# doctor, as IT would run it on the register (default config path).
wine "$installed" doctor 2>&1 | tr -d '\r' >"$OUT/doctor.txt"
doctor_rc=${PIPESTATUS[0]}
check "the installed exe runs doctor on the default config (exit $doctor_rc)" test "$doctor_rc" -eq 0
grep -q 'ProgramData' "$OUT/doctor.txt" || cat "$OUT/doctor.txt"

# --- Upgrade keeps an edited config and the store ------------------------------
sed -i 's/^terminal_id = .*/terminal_id = lane-edited/' "$DATA/tillbridge.ini"
wine msiexec /i "$(to_windows "$NEXT_MSI")" /qn /l*v "$(to_windows "$OUT/upgrade-msi.log")"
check "msiexec upgrades to $NEXT (exit $?)" test -f "$PROGRAM/tillbridge.exe"
check "the service runs again after the upgrade" \
  wait_for 30 bash -c "[ \"\$($(declare -f service_state); service_state)\" = RUNNING ]"
wait_for 30 curl -sf -m 2 -o /dev/null http://127.0.0.1:8787/healthz
check "the upgrade kept the edited config" bash -c "[ \"\$($(declare -f health field); health | field terminal_id)\" = lane-edited ]"
check "the upgrade kept the store (same agent id $agent_id)" \
  bash -c "[ \"\$($(declare -f health field); health | field agent_id)\" = '$agent_id' ]"
products="$(wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s 2>/dev/null |
  tr -d '\r' | grep -A20 'Tillbridge' | sed -n 's/.*DisplayVersion.*REG_SZ *//p' | sort -u | tr '\n' ' ')"
check "one product is installed, version $NEXT (found: $products)" test "$products" = "$NEXT "

# --- Uninstall keeps the data ------------------------------------------------------
# Wine's StopServices returns before the service's process has exited, and
# Wine then cannot delete the still-mapped files (Windows waits, Wait="yes").
# Stopping first, as IT scripts commonly do, measures the agent's own stop.
stop_started=$SECONDS
wine sc stop tillbridge >/dev/null 2>&1
check "the service stops on request" \
  wait_for 60 bash -c "[ \"\$($(declare -f service_state); service_state)\" = STOPPED ]"
wait_for 30 bash -c "! pgrep -f 'Tillbridge.tillbridge.exe' >/dev/null"
echo "     service stopped and its process ended in $((SECONDS - stop_started)) s"
wine msiexec /x "$(to_windows "$NEXT_MSI")" /qn /l*v "$(to_windows "$OUT/uninstall-msi.log")"
check "msiexec /x removes the program" test ! -e "$PROGRAM/tillbridge.exe"
check "and the service" bash -c "! wine sc query tillbridge >/dev/null 2>&1"
check "the edited config stays" grep -q 'lane-edited' "$DATA/tillbridge.ini"
check "the store stays" test -s "$DATA/data/tillbridge.db"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
