#!/usr/bin/env bash
# Builds the Tillbridge MSI with wixl (Debian package `wixl`, from msitools)
# from an install tree that holds bin/tillbridge.exe and its DLLs, e.g. the
# result of `cmake --install <windows build> --prefix <stage>`.
#
#   packaging/windows/build-msi.sh --stage DIR --version X.Y.Z [--output FILE]
#
# On Windows the WiX Toolset builds the same source; see docs/install.md.
# wixl 0.101 (Debian 12) ignores a few WiX attributes the source uses; this
# script writes their effect into the MSI tables afterwards, so both
# toolchains give the same package.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

STAGE="" VERSION="" OUTPUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) STAGE="$2"; shift 2 ;;
    --version) VERSION="$2"; shift 2 ;;
    --output) OUTPUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build-msi: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$STAGE" ] || [ -z "$VERSION" ]; then
  echo "build-msi: --stage and --version are required (see --help)" >&2
  exit 2
fi
if ! [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "build-msi: --version must be three numbers such as 0.1.0 (MSI compares only" \
       "the first three fields), got '$VERSION'" >&2
  exit 2
fi
if [ ! -f "$STAGE/bin/tillbridge.exe" ]; then
  echo "build-msi: $STAGE/bin/tillbridge.exe not found" >&2
  exit 2
fi
for tool in wixl msiinfo msibuild cmake; do
  command -v "$tool" >/dev/null ||
    { echo "build-msi: $tool not found (apt-get install wixl msitools cmake)" >&2; exit 2; }
done

STAGE="$(cd "$STAGE" && pwd)"
OUTPUT="${OUTPUT:-$PWD/tillbridge-$VERSION-x64.msi}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
MSI="$WORK/tillbridge.msi"

# wixl looks sources up relative to the working folder only.
ln -s "$STAGE/bin" "$WORK/bin"
ln -s "$HERE" "$WORK/config"
cmake -D BIN_DIR="$STAGE/bin" -D OUTPUT="$WORK/dlls.wxs" -P "$HERE/HarvestDlls.cmake" >/dev/null
# wixl warns about each attribute it does not implement; those are applied
# below, so only other messages are shown.
(cd "$WORK" && wixl --arch x64 -D Version="$VERSION" -D BinDir=bin -D ConfigDir=config \
   -o "$MSI" config/tillbridge.wxs dlls.wxs) 2>&1 |
  grep -vE "no property named '(Platform|Permanent|NeverOverwrite|Schedule|AllowSameVersionUpgrades)'|^$" >&2 ||
  true
[ -f "$MSI" ] || { echo "build-msi: wixl failed" >&2; exit 1; }

msi_rows() {  # msi_rows TABLE: the table's rows, tab-separated, without headers
  msiinfo export "$MSI" "$1" | tr -d '\r' | tail -n +4
}
msi_cell() {  # msi_cell TABLE KEY COLUMN: one cell, by primary key and column number
  msi_rows "$1" | awk -F'\t' -v key="$2" -v col="$3" '$1 == key {print $col}'
}
msi_sql() { msibuild "$MSI" -q "$1"; }
fail() { echo "build-msi: $*" >&2; exit 1; }

# 1. Component/@Permanent (16) and @NeverOverwrite (128) of the config file.
attributes="$(msi_cell Component AgentConfig 4)"
[ -n "$attributes" ] || fail "component AgentConfig missing"
msi_sql "UPDATE \`Component\` SET \`Attributes\` = $((attributes | 16 | 128)) WHERE \`Component\` = 'AgentConfig'"

# 2. MajorUpgrade/@Schedule="afterInstallValidate": wixl puts
#    RemoveExistingProducts after script-generating actions, which Windows
#    Installer rejects.
validate="$(msi_cell InstallExecuteSequence InstallValidate 3)"
initialize="$(msi_cell InstallExecuteSequence InstallInitialize 3)"
remove="$(msi_cell InstallExecuteSequence RemoveExistingProducts 3)"
if [ -z "$validate" ] || [ -z "$initialize" ] || [ -z "$remove" ]; then
  fail "upgrade actions missing"
fi
if [ "$remove" -le "$validate" ] || [ "$remove" -ge "$initialize" ]; then
  msi_sql "UPDATE \`InstallExecuteSequence\` SET \`Sequence\` = $((validate + 1)) WHERE \`Action\` = 'RemoveExistingProducts'"
fi

# 3. MajorUpgrade/@AllowSameVersionUpgrades: a rebuild of the same version
#    replaces the installed product instead of installing beside it.
upgrade_code="$(msi_cell Property UpgradeCode 2)"
if ! msi_rows Upgrade | grep -q WIX_SAME_VERSION_UPGRADE_DETECTED; then
  # 769 = migrate features + minimum and maximum inclusive.
  msi_sql "INSERT INTO \`Upgrade\` (\`UpgradeCode\`, \`VersionMin\`, \`VersionMax\`, \`Language\`, \`Attributes\`, \`Remove\`, \`ActionProperty\`) VALUES ('$upgrade_code', '$VERSION', '$VERSION', '', 769, '', 'WIX_SAME_VERSION_UPGRADE_DETECTED')"
  secure="$(msi_cell Property SecureCustomProperties 2)"
  msi_sql "UPDATE \`Property\` SET \`Value\` = '$secure;WIX_SAME_VERSION_UPGRADE_DETECTED' WHERE \`Property\` = 'SecureCustomProperties'"
fi

# 4. Immediate set-property custom actions are plain type 51 (wixl adds the
#    no-impersonate bit, which only deferred actions may carry).
for action in SetIcaclsPath SetScPath; do
  msi_sql "UPDATE \`CustomAction\` SET \`Type\` = 51 WHERE \`Action\` = '$action'"
done

cp "$MSI" "$OUTPUT"
echo "build-msi: wrote $OUTPUT"
