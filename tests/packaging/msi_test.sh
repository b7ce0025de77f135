#!/usr/bin/env bash
# Builds the Windows MSI from packaging/windows/tillbridge.wxs with wixl and
# checks its tables: the service (name, auto start, LocalSystem, arguments
# naming the ProgramData config), start/stop/remove control, the config
# component that upgrades never overwrite or remove, the data folder ACL
# and service recovery actions, 64-bit folders, and upgrade in place (fixed
# UpgradeCode, new ProductCode per build, stable component GUIDs, old
# product removed between InstallValidate and InstallInitialize, downgrades
# refused).
#
# Windows executables cannot be built here, so the install tree holds
# STAND-IN files named like the real ones: a text file as tillbridge.exe and
# two as DLLs. The MSI made from them is for this check only.
#   msi_test.sh OUT_DIR PROJECT_VERSION
set -uo pipefail
OUT="$1"
VERSION="$2"
SRC="${TILLBRIDGE_SOURCE_DIR:?run from ctest}"
BUILD_MSI="$SRC/packaging/windows/build-msi.sh"
for tool in wixl msiinfo msibuild msiextract; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (packages wixl and msitools)"
    exit 77
  fi
done
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
rm -rf "$OUT"
mkdir -p "$OUT/stage/bin"
for file in tillbridge.exe standin-dependency-1.dll standin-dependency-2.dll; do
  echo "STAND-IN for $file: not a Windows program; only for the wixl build check" \
    >"$OUT/stage/bin/$file"
done

IFS=. read -r major minor patch <<<"$VERSION"
NEXT="$major.$minor.$((patch + 1))"
MSI="$OUT/tillbridge-standin-$VERSION.msi"
NEXT_MSI="$OUT/tillbridge-standin-$NEXT.msi"
"$BUILD_MSI" --stage "$OUT/stage" --version "$VERSION" --output "$MSI" >"$OUT/build.log" 2>&1
rc=$?
cat "$OUT/build.log"
check "wixl builds the MSI from tillbridge.wxs" test $rc -eq 0 -a -f "$MSI"
[ -f "$MSI" ] || { echo "$failures check(s) failed"; exit 1; }
"$BUILD_MSI" --stage "$OUT/stage" --version "$NEXT" --output "$NEXT_MSI" >/dev/null 2>&1
check "and a newer build ($NEXT)" test -f "$NEXT_MSI"

rows() { msiinfo export "$1" "$2" | tr -d '\r' | tail -n +4; }
cell() {  # cell MSI TABLE KEY COLUMN
  rows "$1" "$2" | awk -F'\t' -v key="$3" -v col="$4" '$1 == key {print $col}'
}

upgrade_code="$(sed -n 's/.*UpgradeCode="\([^"]*\)".*/{\1}/p' "$SRC/packaging/windows/tillbridge.wxs")"
check "UpgradeCode is the fixed one from tillbridge.wxs" test "$(cell "$MSI" Property UpgradeCode 2)" = "$upgrade_code"
check "the newer build has the same UpgradeCode" test "$(cell "$NEXT_MSI" Property UpgradeCode 2)" = "$upgrade_code"
check "each build has its own ProductCode" \
  test "$(cell "$MSI" Property ProductCode 2)" != "$(cell "$NEXT_MSI" Property ProductCode 2)"
check "ProductVersion is $VERSION" test "$(cell "$MSI" Property ProductVersion 2)" = "$VERSION"
check "component GUIDs are the same in both builds (upgrades keep components)" \
  bash -c "diff <(msiinfo export '$MSI' Component | cut -f1,2) <(msiinfo export '$NEXT_MSI' Component | cut -f1,2)"
check "a 64-bit package (Template x64)" bash -c "msiinfo suminfo '$MSI' | grep -q '^Template: x64;1033'"
check "a per-machine install (ALLUSERS=1)" test "$(cell "$MSI" Property ALLUSERS 2)" = 1

check "service tillbridge" test "$(cell "$MSI" ServiceInstall TillbridgeService 2)" = tillbridge
check "its own process (type 16)" test "$(cell "$MSI" ServiceInstall TillbridgeService 4)" = 16
check "starts automatically (start type 2)" test "$(cell "$MSI" ServiceInstall TillbridgeService 5)" = 2
check "runs as LocalSystem" test "$(cell "$MSI" ServiceInstall TillbridgeService 9)" = LocalSystem
check "runs 'run --config' with the ProgramData config" \
  test "$(cell "$MSI" ServiceInstall TillbridgeService 11)" = 'run --config "[TillbridgeDataFolder]tillbridge.ini"'
check "belongs to the component of tillbridge.exe" \
  test "$(cell "$MSI" ServiceInstall TillbridgeService 12)" = AgentExecutable
# 1 start on install + 2 stop on install + 32 stop on uninstall + 128 delete on uninstall
check "is started on install, stopped on install and uninstall, deleted on uninstall" \
  test "$(cell "$MSI" ServiceControl TillbridgeServiceControl 3)" = 163

config_attributes="$(cell "$MSI" Component AgentConfig 4)"
check "the config component is Permanent (16)" test $((config_attributes & 16)) -ne 0
check "the config component is NeverOverwrite (128)" test $((config_attributes & 128)) -ne 0
check "components are 64-bit (256)" test $((config_attributes & 256)) -ne 0
check "the config lives in CommonAppDataFolder\\Tillbridge" \
  test "$(cell "$MSI" Directory TillbridgeDataFolder 2):$(cell "$MSI" Directory TillbridgeDataFolder 3)" = "CommonAppDataFolder:Tillbridge"
check "the binaries live in ProgramFiles64Folder\\Tillbridge" \
  test "$(cell "$MSI" Directory INSTALLFOLDER 2):$(cell "$MSI" Directory INSTALLFOLDER 3)" = "ProgramFiles64Folder:Tillbridge"
for file in tillbridge.exe tillbridge.ini standin-dependency-1.dll standin-dependency-2.dll; do
  check "installs $file" bash -c "msiinfo export '$MSI' File | cut -f3 | tr -d '\r' | grep -qx '$file'"
done
rm -rf "$OUT/extracted"
msiextract -C "$OUT/extracted" "$MSI" >/dev/null
check "the embedded tillbridge.ini is packaging/windows/tillbridge.ini" \
  cmp -s "$OUT/extracted/Tillbridge/tillbridge.ini" "$SRC/packaging/windows/tillbridge.ini"

sequence() { cell "$MSI" InstallExecuteSequence "$1" 3; }
check "upgrade: older versions are found and removed (WIX_UPGRADE_DETECTED)" \
  bash -c "msiinfo export '$MSI' Upgrade | grep -q WIX_UPGRADE_DETECTED"
check "upgrade: a rebuild of the same version replaces the installed one" \
  bash -c "msiinfo export '$MSI' Upgrade | tr -d '\r' | awk -F'\t' '\$2 == \"$VERSION\" && \$3 == \"$VERSION\" && \$5 == 769 {ok = 1} END {exit !ok}'"
check "upgrade: downgrades are refused" \
  bash -c "msiinfo export '$MSI' LaunchCondition | grep -q 'NOT WIX_DOWNGRADE_DETECTED'"
remove="$(sequence RemoveExistingProducts)"
check "upgrade: the old product is removed between InstallValidate and InstallInitialize ($remove)" \
  test -n "$remove" -a "$remove" -gt "$(sequence InstallValidate)" -a "$remove" -lt "$(sequence InstallInitialize)"
for action in InstallServices StartServices StopServices DeleteServices RestrictDataFolder SetServiceRecovery; do
  check "sequences $action" test -n "$(sequence "$action")"
done
check "the folder ACL and recovery run after the files and services are in place" \
  test "$(sequence RestrictDataFolder)" -gt "$(sequence InstallFiles)" -a \
       "$(sequence SetServiceRecovery)" -gt "$(sequence InstallServices)" -a \
       "$(sequence SetServiceRecovery)" -lt "$(sequence StartServices)"
# 50 exe from property + 64 ignore return + 1024 deferred + 2048 no impersonation
check "ACL and recovery actions are deferred, elevated and non-fatal (type 3186)" \
  test "$(cell "$MSI" CustomAction RestrictDataFolder 2):$(cell "$MSI" CustomAction SetServiceRecovery 2)" = "3186:3186"
check "the ACL keeps only SYSTEM and Administrators" \
  bash -c "[[ '$(cell "$MSI" CustomAction RestrictDataFolder 4)' == *'/inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F' ]]"
check "not on uninstall" test "$(cell "$MSI" InstallExecuteSequence RestrictDataFolder 2)" = "NOT REMOVE"

# The build refuses what MSI cannot represent.
"$BUILD_MSI" --stage "$OUT/stage" --version 0.1 --output "$OUT/bad.msi" >"$OUT/bad.log" 2>&1
rc=$?
check "a two-part version is refused with exit 2" test $rc -eq 2
check "naming the version rule" grep -q "three numbers" "$OUT/bad.log"
mkdir -p "$OUT/empty/bin"
"$BUILD_MSI" --stage "$OUT/empty" --version "$VERSION" --output "$OUT/bad.msi" >"$OUT/bad.log" 2>&1
rc=$?
check "a stage without tillbridge.exe is refused with exit 2" test $rc -eq 2

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
